import TestSupport
import Testing
@testable import StrataRuntime

@Suite struct VectorKernelTests {
    static let sizes = [0, 1, 7, 8, 9, 16, 31, 32, 33, 100, 1000]

    @Test(arguments: sizes)
    func dotMatchesDouble(count: Int) {
        var random = TestRandom(seed: 50 + UInt64(count))
        let a = random.floats(count), b = random.floats(count)
        let want = zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let magnitude = zip(a, b).reduce(0.0) { $0 + abs(Double($1.0) * Double($1.1)) }
        #expect(isClose(Kernels.dot(a, b, count: count), want, relative: 1e-6, scale: magnitude))
    }

    @Test(arguments: sizes)
    func axpyAddsScaledX(count: Int) {
        var random = TestRandom(seed: 60 + UInt64(count))
        var y = random.floats(count)
        let x = random.floats(count)
        let want = zip(y, x).map { Double($0) + 0.375 * Double($1) }
        Kernels.axpy(&y, x, alpha: 0.375, count: count)
        for i in 0..<count { #expect(isClose(y[i], want[i], relative: 1e-6)) }
    }

    @Test(arguments: sizes)
    func scaleMultiplies(count: Int) {
        var random = TestRandom(seed: 70 + UInt64(count))
        var x = random.floats(count)
        let want = x.map { Double($0) * -1.5 }
        Kernels.scale(&x, by: -1.5, count: count)
        for i in 0..<count { #expect(isClose(x[i], want[i], absolute: 0, relative: 1e-7)) }
    }
}
