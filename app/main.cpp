#include <cstdlib>

#include "app/app.h"

int main(int argc, char** argv) {
  // SystemC prints a banner on first use unless told not to; our output is the report.
  setenv("SYSC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
  return npusim::app::Main(argc, argv);
}

// libsystemc.so refers to sc_main (for its own main(), which ours replaces); never called.
extern "C" int sc_main(int, char**) { return 1; }
