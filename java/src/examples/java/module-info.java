/**
 * The examples of jrnn's README, as an outside user's module: they may use only what module
 * dev.jrnn exports. Built and run by the test suite and by the Maven invoker project under
 * java/src/it/embed, which depends on the installed jrnn artifact.
 */
module example.embed {
    requires dev.jrnn;
}
