package dev.jrnn.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code jrnn} command line: summary, train, sweep, evaluate, predict, export, import, bench, info. */
@Command(name = "jrnn", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Train and benchmark LSTM and GRU networks on the CPU or an NVIDIA GPU.",
        subcommands = {SummaryCommand.class, TrainCommand.class, SweepCommand.class, EvaluateCommand.class,
                PredictCommand.class, ExportCommand.class, ImportCommand.class, BenchCommand.class, InfoCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Runs the CLI and returns its exit code: 0 ok, 1 failure, 2 bad usage. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        // NB: plots and PNG reading need AWT, never a display.
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, a) -> {
            CommandLine c = ex.getCommandLine();
            c.getErr().println("jrnn: " + ex.getMessage() + " (see '" + c.getCommandSpec().qualifiedName() + " --help')");
            c.getErr().flush();
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            c.getErr().println("jrnn: " + describe(ex));
            c.getErr().flush();
            if (Boolean.getBoolean("jrnn.debug")) ex.printStackTrace(c.getErr());
            return ex instanceof IllegalArgumentException ? 2 : 1;
        });
        try {
            return cl.execute(args);
        } catch (OutOfMemoryError e) {   // NB: last resort; train and sweep refuse models too large for the heap up front
            err.println("jrnn: " + MemoryCheck.outOfMemory(e));
            err.flush();
            return 1;
        }
    }

    static String describe(Throwable ex) {
        for (Throwable t = ex; t != null; t = t.getCause()) {   // an OOM in a worker thread arrives wrapped
            if (t instanceof OutOfMemoryError oom) return MemoryCheck.outOfMemory(oom);
        }
        String m = ex.getMessage();
        return m == null || m.isBlank() ? ex.getClass().getSimpleName() : m;
    }

    public static void main(String[] args) {
        int code = run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
        System.exit(code);
    }

    /** Reads the version from the jar manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"jrnn " + (v == null ? "(development build)" : v),
                    "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")"};
        }
    }
}
