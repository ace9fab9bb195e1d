"""The synthetic demo snapshot (`generator`) and the figures planted in it, worked out independently in plain
Python (`planted_truth`). Used by the offline demo source, the tests and the benchmarks; never by the real
sources."""
