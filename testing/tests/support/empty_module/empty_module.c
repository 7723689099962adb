/* A shared object with nothing in it: the executable of the bench's signed test bundles, which
 * must be regular files (a signature allows no symbolic link) and must not be a second copy of
 * a library the test already has loaded. */
int netdext_bench_empty_module;
