"""The synthetic demo snapshot (`generator`, written by `snapshot`). Used by the offline demo source, the tests and
the benchmarks; never by the real sources. The figures planted in it are worked out by the tests (tests/planted),
which the installed package never imports."""
