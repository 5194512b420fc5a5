/// How far one run's logits are from a reference's: the largest absolute difference over the
/// reference's standard deviation (so a tolerance reads the same for any model's logit scale),
/// infinity when either side holds NaN or infinity. The figure backend and architecture checks
/// quote (GPU against CPU, Strata against llama.cpp).
public enum LogitComparison {
    public static func relativeError(_ got: some Collection<Float>, _ expected: some Collection<Float>) -> Float {
        guard !expected.isEmpty, got.count == expected.count, got.allSatisfy(\.isFinite), expected.allSatisfy(\.isFinite) else {
            return .infinity
        }
        let mean = expected.reduce(0, +) / Float(expected.count)
        let std = (expected.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(expected.count)).squareRoot()
        return zip(got, expected).map { abs($0 - $1) }.max()! / max(std, .leastNormalMagnitude)
    }
}
