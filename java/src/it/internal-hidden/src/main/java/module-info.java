module bad.user {
    requires dev.jrnn;
}
