package bad;

/** Reaches into jrnn's internal packages, which module dev.jrnn does not export. */
public class UsesInternals {
    Object cpu = new dev.jrnn.cpu.VectorBackend(1);
    Object api = dev.jrnn.ops.Rnn.class;
}
