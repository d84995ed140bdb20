package dev.jrnn.backend;

/**
 * What a training forward pass of a recurrent layer or stack keeps for its backward pass, as
 * PyTorch's {@code _cudnn_rnn} returns its reserve: on the CPU the saved gate activations, on CUDA
 * cuDNN's plan and reserve space (and the sequence-major copies of x and y cuDNN works on). It
 * also remembers the forward pass's arguments: {@code x}, the initial state, {@code params} and
 * {@code y}, which must keep what that pass saw and wrote until {@link Backend#rnnBackward} has
 * run.
 *
 * <p>Hand it to {@link Backend#rnnBackward} once, then close it (try-with-resources); closing
 * without a backward pass is fine. Closing gives its memory back to the backend for the next
 * forward pass; closing twice is a no-op. A trace belongs to the backend that made it.
 */
public interface RnnTrace extends AutoCloseable {

    /** {@return the layer (or stack) the forward pass ran} */
    RnnSpec spec();

    /** {@return B, the forward pass's batch} */
    int batch();

    /** {@return T, the forward pass's steps} */
    int steps();

    /**
     * {@return the forward pass's per-sample lengths, a copy; {@code null} when every sequence was
     * T steps long}
     */
    int[] lengths();

    /** {@return whether {@link #close()} has been called} */
    boolean isClosed();

    /** Gives what the trace holds back to its backend; later calls do nothing. */
    @Override
    void close();
}
