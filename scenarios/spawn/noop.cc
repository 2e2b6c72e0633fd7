// versus-noop: does nothing and exits 0, so that starting a program is all the spawn scenario times.
int main() { return 0; }
