package dev.jrnn.cuda;

import java.util.List;

/**
 * cuDNN or cuBLAS could not be used: not found (the message names the files looked for and every
 * place looked), not loadable (the loader's error), too old, or missing a function jrnn calls.
 */
public final class CudaLibraryException extends CudaUnavailableException {
    private static final long serialVersionUID = 1L;

    /** What went wrong. */
    public enum Problem {
        /** No file of the wanted names in any place looked. */
        NOT_FOUND,
        /** Found, but the dynamic loader refused it (not a library, missing dependency, ...). */
        NOT_LOADABLE,
        /** Loaded, but older than jrnn needs or lacking a function jrnn calls. */
        UNSUPPORTED
    }

    private final String library;
    private final Problem problem;
    private final transient List<String> fileNames;
    private final transient List<String> placesLooked;

    CudaLibraryException(String library, Problem problem, List<String> fileNames, List<String> placesLooked,
                         String message) {
        super(message);
        this.library = library;
        this.problem = problem;
        this.fileNames = List.copyOf(fileNames);
        this.placesLooked = List.copyOf(placesLooked);
    }

    /** {@code cuDNN} or {@code cuBLAS}. */
    public String library() {
        return library;
    }

    public Problem problem() {
        return problem;
    }

    /** The file names looked for, in order of preference. */
    public List<String> fileNames() {
        return fileNames;
    }

    /** Every place looked, in order, each as {@code "<where it came from>: <folder>"}. */
    public List<String> placesLooked() {
        return placesLooked;
    }
}
