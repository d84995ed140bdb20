package dev.jrnn.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.data.InstalledFashionMnist;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's examples cannot rot: they compile as an outside module against the exported API,
 * the CPU one runs (and checks its gradients against finite differences), the README shows their
 * code verbatim, and internal packages are out of an outside module's reach.
 */
class ExamplesTest {
    @TempDir
    Path dir;

    @Test
    void lstmExampleRunsAndItsGradientsMatchFiniteDifferences() throws Exception {
        String out = ExampleProgram.compileAndRun(dir, "example.LstmExample");
        assertTrue(out.contains("gradients match finite differences"), out);
    }

    @Test
    void trainExampleTrainsTheNotebookModelOnFashionMnist() throws Exception {
        InstalledFashionMnist.require();   // the example finds it as the CLI does, under /usr/share/datasets
        // two epochs on 8,192 samples: the README's code end to end, in seconds
        String out = ExampleProgram.compileAndRun(dir, "example.TrainExample", "2", "8192");
        Matcher m = Pattern.compile("2 epochs: loss ([0-9.]+), test accuracy ([0-9.]+)").matcher(out);
        assertTrue(m.find(), out);
        double accuracy = Double.parseDouble(m.group(2));
        assertTrue(accuracy > 0.3, "two small epochs should beat chance (0.1) clearly, found " + accuracy + "\n" + out);
        assertTrue(out.contains("Total params: 10,570"), out);
    }

    @Test
    void sequenceExampleLearnsFromLengthsAndLeavesPaddingZero() throws Exception {
        String out = ExampleProgram.compileAndRun(dir, "example.SequenceExample");
        Matcher m = Pattern.compile("test accuracy ([0-9.]+)").matcher(out);
        assertTrue(m.find(), out);
        double accuracy = Double.parseDouble(m.group(1));
        // NB: the label depends on the valid steps only; a model blind to the lengths would read the noise in the padding
        assertTrue(accuracy > 0.8, "the majority sign of 3-20 values is learnable; found " + accuracy + "\n" + out);
        assertTrue(out.contains("nonzero outputs past the lengths: 0"), out);
    }

    /**
     * docs/library.md shows every example region verbatim, and the README the one it shows (train);
     * a region edited in the example and not in the docs fails here.
     */
    @Test
    void readmeShowsTheExamplesVerbatim() throws IOException {
        Path top = Path.of(System.getProperty("user.dir")).getParent();
        String guide = Files.readString(top.resolve("docs").resolve("library.md"));
        String front = Files.readString(top.resolve("README.md"));
        List<String> regions = new ArrayList<>();
        try (Stream<Path> files = Files.walk(ExampleProgram.examplesDir())) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                Matcher m = Pattern.compile("(?s)\\n([ \\t]*)// README:(\\w+)\\n(.*?)\\n[ \\t]*// README:end").matcher(Files.readString(f));
                while (m.find()) {
                    String indent = m.group(1);
                    StringBuilder code = new StringBuilder();
                    for (String line : m.group(3).split("\n", -1)) {
                        code.append(line.startsWith(indent) ? line.substring(indent.length()) : line.strip()).append('\n');
                    }
                    regions.add(m.group(2));
                    assertTrue(guide.contains(code.toString()), "docs/library.md must show the '" + m.group(2) + "' region of "
                            + f.getFileName() + " verbatim (without its indentation):\n" + code);
                    if (m.group(2).equals("train")) {
                        assertTrue(front.contains(code.toString()), "README.md must show the 'train' region of "
                                + f.getFileName() + " verbatim (without its indentation):\n" + code);
                    }
                }
            }
        }
        assertEquals(List.of("gpu", "lstm", "sequences", "train"), regions.stream().sorted().toList(), "README regions found in the examples");
    }

    @Test
    void internalPackagesAreNotVisibleToAnOutsideModule() throws IOException {
        ExampleProgram.jrnnModulePath();   // fails unless dev.jrnn is on the module path, as surefire puts it
        Path src = dir.resolve("src");
        Files.createDirectories(src.resolve("example"));
        Files.writeString(src.resolve("module-info.java"), "module example.embed { requires dev.jrnn; }\n");
        Files.writeString(src.resolve("example/UsesInternals.java"), """
                package example;
                public class UsesInternals {
                    Object cpu = new dev.jrnn.cpu.VectorBackend(1);
                    Object cuda = dev.jrnn.cuda.CudaSupport.unavailableReason();
                    Object api = dev.jrnn.ops.Rnn.class;
                }
                """);
        ExampleProgram.Compiled c = ExampleProgram.compile(src, dir.resolve("classes"));
        assertTrue(c.code() != 0, "using dev.jrnn.cpu and dev.jrnn.cuda from outside must not compile:\n" + c.output());
        assertTrue(c.output().contains("package dev.jrnn.cpu is not visible"), c.output());
        assertTrue(c.output().contains("package dev.jrnn.cuda is not visible"), c.output());
        assertTrue(!c.output().contains("dev.jrnn.ops is not visible"), c.output());
    }
}
