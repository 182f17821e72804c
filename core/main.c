/* nrb: command-line entry point (placeholder until the CLI lands). */
#include <stdio.h>
#include "nrb_config.h"
int main(void) { printf("nrb %s\n", NRB_VERSION); return 0; }
