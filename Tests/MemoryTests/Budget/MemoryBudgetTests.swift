import Dispatch
import Memory
import Testing

/// One budget: charges that fit are taken whole, others refused whole; tiers move without
/// changing the total; peak and pressure follow the total.
@Suite struct MemoryBudgetTests {
    @Test func chargesUpToTheLimitAndRefusesBeyondIt() {
        let budget = MemoryBudget(limitBytes: 1000)
        #expect(budget.tryCharge(600, to: .hot))
        #expect(!budget.tryCharge(401, to: .cold), "would pass the limit")
        #expect(budget.used == 600, "a refused charge takes nothing")
        #expect(budget.used(.cold) == 0)
        #expect(budget.tryCharge(400, to: .cold), "exactly the limit fits")
        #expect(budget.used == 1000)
        #expect(budget.available == 0)
        #expect(!budget.tryCharge(1, to: .pools))
        #expect(budget.tryCharge(0, to: .pools))
    }

    @Test func releaseGivesBytesBack() {
        let budget = MemoryBudget(limitBytes: 1000)
        #expect(budget.tryCharge(700, to: .hot))
        budget.release(300, from: .hot)
        #expect(budget.used == 400)
        #expect(budget.used(.hot) == 400)
        #expect(budget.tryCharge(600, to: .free))
        budget.release(400, from: .hot)
        budget.release(600, from: .free)
        #expect(budget.used == 0)
        #expect(MemoryTier.allCases.allSatisfy { budget.used($0) == 0 })
    }

    @Test func moveChangesTiersNotTheTotal() {
        let budget = MemoryBudget(limitBytes: 1000)
        #expect(budget.tryCharge(1000, to: .hot))
        budget.move(250, from: .hot, to: .free)
        #expect(budget.used(.hot) == 750)
        #expect(budget.used(.free) == 250)
        #expect(budget.used == 1000)
        budget.move(100, from: .free, to: .free)
        #expect(budget.used(.free) == 250)
        budget.move(250, from: .free, to: .cold)
        #expect(budget.used(.cold) == 250 && budget.used(.free) == 0)
    }

    @Test func unconditionalChargeMayPassTheLimit() {
        let budget = MemoryBudget(limitBytes: 1000)
        budget.charge(1200, to: .hot)
        #expect(budget.used == 1200)
        #expect(budget.available == 0)
        #expect(budget.pressure == .high)
        #expect(!budget.tryCharge(1, to: .cold))
        #expect(budget.peakUsed == 1200)
    }

    @Test func peakRemembersTheMost() {
        let budget = MemoryBudget(limitBytes: 1000)
        #expect(budget.tryCharge(800, to: .hot))
        budget.release(800, from: .hot)
        #expect(budget.tryCharge(300, to: .pools))
        #expect(budget.peakUsed == 800)
        #expect(budget.used == 300)
    }

    @Test(arguments: [(0, MemoryPressure.normal), (749, .normal), (750, .elevated), (899, .elevated), (900, .high), (1000, .high)])
    func pressureFollowsTheWatermarks(used: Int, expected: MemoryPressure) {
        let budget = MemoryBudget(limitBytes: 1000, highWatermark: 0.9, lowWatermark: 0.75)
        #expect(budget.highWatermarkBytes == 900)
        #expect(budget.lowWatermarkBytes == 750)
        #expect(budget.tryCharge(used, to: .hot))
        #expect(budget.pressure == expected)
    }

    @Test func pressureLevelsAreOrdered() {
        #expect(MemoryPressure.normal < .elevated)
        #expect(MemoryPressure.elevated < .high)
        #expect([MemoryPressure.high, .normal, .elevated].max() == .high)
    }

    /// Racing callers can never push the total past the limit together.
    @Test func concurrentChargesNeverPassTheLimit() {
        let budget = MemoryBudget(limitBytes: 10_007)
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            let tier = MemoryTier.allCases[worker]
            while budget.tryCharge(3, to: tier) {}
        }
        #expect(budget.used <= budget.limitBytes)
        #expect(budget.used > budget.limitBytes - 3)
        #expect(MemoryTier.allCases.map(budget.used).reduce(0, +) == budget.used)
        #expect(budget.peakUsed == budget.used)
    }

    @Test func overReleaseTraps() async {
        await #expect(processExitsWith: .failure) {
            let budget = MemoryBudget(limitBytes: 1000)
            #expect(budget.tryCharge(10, to: .hot))
            budget.release(11, from: .hot)
        }
    }
}
