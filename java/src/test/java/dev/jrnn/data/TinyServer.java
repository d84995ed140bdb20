package dev.jrnn.data;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/** An HTTP server on 127.0.0.1 (ephemeral port) serving canned responses, counting requests. */
final class TinyServer implements AutoCloseable {

    private final HttpServer server;
    private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
    private final CountDownLatch release = new CountDownLatch(1);
    private final AtomicInteger stalls = new AtomicInteger();
    private final ExecutorService executor = Executors.newCachedThreadPool();

    TinyServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(executor);
        server.start();
    }

    /** Base URL of a mirror rooted at {@code /prefix/}. */
    URI mirror(String prefix) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/" + prefix + "/");
    }

    /** Serves {@code body} with status 200 and its true Content-Length. */
    TinyServer serve(String path, byte[] body) {
        server.createContext(path, ex -> {
            count(ex);
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        });
        return this;
    }

    /** Answers 404 with an HTML body. */
    TinyServer notFound(String path) {
        server.createContext(path, ex -> {
            count(ex);
            byte[] page = "<html>404 Not Found</html>".getBytes();
            ex.sendResponseHeaders(404, page.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(page);
            }
        });
        return this;
    }

    /** Declares the full Content-Length, sends the first half of {@code body}, then drops the connection. */
    TinyServer halfway(String path, byte[] body) {
        server.createContext(path, ex -> {
            count(ex);
            ex.sendResponseHeaders(200, body.length);
            OutputStream out = ex.getResponseBody();
            out.write(body, 0, body.length / 2);
            out.flush();
            // NB: closing the exchange early leaves the connection open; a handler that throws
            // before the response is complete makes the JDK server close it.
            throw new IOException("dropping the connection on purpose");
        });
        return this;
    }

    /** Declares the full Content-Length, sends the first half of {@code body}, then sends nothing more. */
    TinyServer stall(String path, byte[] body) {
        server.createContext(path, ex -> {
            count(ex);
            ex.sendResponseHeaders(200, body.length);
            OutputStream out = ex.getResponseBody();
            out.write(body, 0, body.length / 2);
            out.flush();
            stalls.incrementAndGet();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new IOException("dropping the connection on purpose");
        });
        return this;
    }

    /** How many responses of {@link #stall} have sent their half and stopped sending, so far. */
    int stalls() {
        return stalls.get();
    }

    /** Number of requests for {@code path} so far. */
    int hits(String path) {
        AtomicInteger n = hits.get(path);
        return n == null ? 0 : n.get();
    }

    private void count(HttpExchange ex) {
        hits.computeIfAbsent(ex.getRequestURI().getPath(), k -> new AtomicInteger()).incrementAndGet();
    }

    @Override
    public void close() {
        release.countDown();
        server.stop(0);
        executor.shutdownNow();
    }
}
