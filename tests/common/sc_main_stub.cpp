// libsystemc.so refers to sc_main for its own main(); test binaries use GoogleTest's main, which
// takes precedence, so this is never called.
extern "C" int sc_main(int, char**) { return 1; }
