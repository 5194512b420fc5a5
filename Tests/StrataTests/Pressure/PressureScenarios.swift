import Testing

/// Issue 15's pressure scenarios against the real binary, one at a time: each loads the machine,
/// so `make test` runs them in a second pass after the rest of the suite
/// (`swift test --filter PressureScenarios`). Each is bounded in time and count, on loopback.
@Suite(.serialized) enum PressureScenarios {}
