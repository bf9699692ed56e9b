"""neuroflow definitions of the benchmark networks, each with `build(n, p)`."""
