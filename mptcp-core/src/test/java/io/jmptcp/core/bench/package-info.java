/**
 * JMH microbenchmarks of the hot paths (issue 12): the codec, the checksums, connection-level
 * reassembly and the scheduler's decision. Benchmarks, not tests: {@code scripts/jmh.sh} runs them
 * and docs/benchmarks.md keeps the results.
 */
package io.jmptcp.core.bench;
