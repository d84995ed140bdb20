package dev.jrnn.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A shared library opened with the C library's {@code dlopen} through Panama, and downcall handles
 * to its functions. NB: {@code dlopen} is called directly rather than through
 * {@code SymbolLookup.libraryLookup} so that a failure reports the loader's own reason (a missing
 * dependency, a wrong architecture) instead of just "cannot open". Libraries stay loaded for the
 * life of the process, like JNI libraries.
 */
@SuppressWarnings("restricted")   // NB: the launchers pass --enable-native-access
final class NativeLibrary {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final int RTLD_NOW = 2;
    private static final MethodHandle DLOPEN, DLSYM, DLERROR;

    static {
        var libc = LINKER.defaultLookup();
        DLOPEN = LINKER.downcallHandle(libc.find("dlopen").orElseThrow(), FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT));
        DLSYM = LINKER.downcallHandle(libc.find("dlsym").orElseThrow(), FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS));
        DLERROR = LINKER.downcallHandle(libc.find("dlerror").orElseThrow(), FunctionDescriptor.of(ADDRESS));
    }

    private final String library;
    private final Path file;
    private final MemorySegment handle;

    private NativeLibrary(String library, Path file, MemorySegment handle) {
        this.library = library;
        this.file = file;
        this.handle = handle;
    }

    /**
     * Opens {@code file} as {@code library} (a display name such as {@code cuDNN}).
     *
     * @throws CudaLibraryException ({@code NOT_LOADABLE}) with the loader's reason
     */
    static NativeLibrary open(String library, Path file, List<String> fileNames) {
        String notElf = checkElf(file);
        if (notElf != null) {
            throw new CudaLibraryException(library, CudaLibraryException.Problem.NOT_LOADABLE, fileNames,
                    List.of(file.toString()), library + " at " + file + " is not a shared library: " + notElf);
        }
        String error = dlopen(file);
        if (error != null) {
            throw new CudaLibraryException(library, CudaLibraryException.Problem.NOT_LOADABLE, fileNames,
                    List.of(file.toString()), library + " at " + file + " did not load: " + error);
        }
        // NB: opening an already-open library returns the same handle; this is not a second copy.
        return new NativeLibrary(library, file, handleOf(file));
    }

    /** Loads {@code file} if it is a loadable library; returns the loader's error, or null when it loaded. */
    static String preload(Path file) {
        String notElf = checkElf(file);
        return notElf != null ? notElf : dlopen(file);
    }

    Path file() {
        return file;
    }

    /** Whether the library exports {@code symbol}. */
    boolean has(String symbol) {
        return address(symbol).address() != 0;
    }

    /**
     * A downcall handle to {@code symbol}.
     *
     * @throws CudaLibraryException ({@code UNSUPPORTED}) when the library lacks it
     */
    MethodHandle function(String symbol, FunctionDescriptor descriptor, String needs) {
        MemorySegment fn = address(symbol);
        if (fn.address() == 0) {
            throw new CudaLibraryException(library, CudaLibraryException.Problem.UNSUPPORTED, List.of(file.getFileName().toString()),
                    List.of(file.toString()), library + " at " + file + " lacks " + symbol + ": jrnn needs " + needs);
        }
        return LINKER.downcallHandle(fn, descriptor);
    }

    private MemorySegment address(String symbol) {
        try (Arena arena = Arena.ofConfined()) {
            return (MemorySegment) DLSYM.invokeExact(handle, arena.allocateFrom(symbol));
        } catch (Throwable t) {
            throw new IllegalStateException("dlsym(" + symbol + ") failed", t);
        }
    }

    private static String dlopen(Path file) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment h = (MemorySegment) DLOPEN.invokeExact(arena.allocateFrom(file.toString()), RTLD_NOW);
            if (h.address() != 0) return null;
            MemorySegment msg = (MemorySegment) DLERROR.invokeExact();
            return msg.address() == 0 ? "dlopen failed" : msg.reinterpret(4096).getString(0);
        } catch (Throwable t) {
            throw new IllegalStateException("dlopen(" + file + ") failed", t);
        }
    }

    private static MemorySegment handleOf(Path file) {
        try (Arena arena = Arena.ofConfined()) {
            return (MemorySegment) DLOPEN.invokeExact(arena.allocateFrom(file.toString()), RTLD_NOW);
        } catch (Throwable t) {
            throw new IllegalStateException("dlopen(" + file + ") failed", t);
        }
    }

    /** Null when {@code file} starts like an ELF object, else what it is instead. */
    private static String checkElf(Path file) {
        byte[] head = new byte[4];
        try (InputStream in = Files.newInputStream(file)) {
            int n = in.readNBytes(head, 0, 4);
            if (n < 4) return "the file has " + Files.size(file) + " bytes";
        } catch (IOException e) {
            return "cannot read it: " + e.getMessage();
        }
        if (head[0] != 0x7f || head[1] != 'E' || head[2] != 'L' || head[3] != 'F') return "no ELF header";
        return null;
    }

    /** Reads the NUL-terminated C string at {@code p} (at most 4 KiB); empty for NULL. */
    static String cString(MemorySegment p) {
        return p.address() == 0 ? "" : p.reinterpret(4096).getString(0);
    }
}
