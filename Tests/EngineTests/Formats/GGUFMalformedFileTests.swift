import Engine
import Foundation
import StrataRuntime
import Testing
import TestSupport

/// A corpus of malformed GGUF files, made by patching the fields of files `GGUFWriter`
/// wrote. Each must be refused with a `ModelFileError` (the specific case where it is
/// stable), never a crash, a hang, or an allocation sized by the file.
@Suite struct GGUFMalformedFileTests {
    /// One malformed file and the error it must raise.
    struct Malformed: Sendable, CustomTestStringConvertible {
        let name: String
        let bytes: [UInt8]
        let expected: ExpectedError
        var testDescription: String { name }
    }

    // MARK: - Specimens

    static let f32 = GGMLType(.f32)
    static let q8_0 = GGMLType(.q8_0)
    static let f16 = GGMLType(.f16)

    /// A small valid file: a few metadata types, three tensors ("a" f32 [8, 2], "b" q8_0
    /// [32, 2], "c" f16 [4, 3, 2, 1]), non-zero data.
    static func specimen(alignment: Int = 32, _ customize: (inout GGUFWriter) throws -> Void = { _ in }) -> [UInt8] {
        var w = GGUFWriter(alignment: alignment)
        w.add("general.architecture", .string("llama"))
        w.add("specimen.flag", .bool(true))
        w.add("specimen.count", .uint32(7))
        w.add("specimen.name", .string("abc"))
        w.add("specimen.list", .array(elementType: .int32, values: [.int32(1), .int32(2), .int32(3)]))
        w.add("specimen.flags", .array(elementType: .bool, values: [.bool(false), .bool(true)]))
        w.add("specimen.words", .array(elementType: .string, values: [.string("x"), .string("yz")]))
        try! customize(&w)
        try! w.addTensor("a", dims: [8, 2], type: f32)
        try! w.addTensor("b", dims: [32, 2], type: q8_0)
        try! w.addTensor("c", dims: [4, 3, 2, 1], type: f16)
        return w.encode { _, buffer in buffer.initializeMemory(as: UInt8.self, repeating: 0x5A) }
    }

    static let base = specimen()
    static let layout = GGUFLayout(base)
    /// Bytes of the data section of `base`.
    static let available = base.count - layout.dataStart

    /// `base` with the integer at `offset` replaced.
    static func patched<T: FixedWidthInteger>(_ value: T, at offset: Int, in bytes: [UInt8] = base) -> [UInt8] {
        bytes.patching(value, at: offset)
    }

    /// Bytes that remain after reading a count that ends at `end`.
    static func remaining(after end: Int, in bytes: [UInt8] = base) -> UInt64 { UInt64(bytes.count - end) }

    static func badDimensions(_ tensor: String, _ dims: [UInt64]) -> ExpectedError {
        .matching(.badDimensions) {
            guard case .badDimensions(let t, let d, let reason) = $0 else { return false }
            return t == tensor && d == dims && !reason.isEmpty
        }
    }

    /// The fewest encoded bytes of one element of each GGUF value type.
    static let minimumElementBytes: [UInt32: UInt64] = [
        0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 8: 8, 9: 12, 10: 8, 11: 8, 12: 8,
    ]

    /// Two elements of type `raw`, for an array whose count is then patched.
    static func twoElements(_ raw: UInt32) -> GGUFValue {
        let t = GGUFValueType(rawValue: raw)!
        let one: GGUFValue
        switch t {
        case .uint8: one = .uint8(1)
        case .int8: one = .int8(1)
        case .uint16: one = .uint16(1)
        case .int16: one = .int16(1)
        case .uint32: one = .uint32(1)
        case .int32: one = .int32(1)
        case .float32: one = .float32(1)
        case .bool: one = .bool(true)
        case .string: one = .string("s")
        case .array: one = .array(elementType: .uint8, values: [])
        case .uint64: one = .uint64(1)
        case .int64: one = .int64(1)
        case .float64: one = .float64(1)
        }
        return .array(elementType: t, values: [one, one])
    }

    // MARK: - The corpus

    static let corpus: [Malformed] = {
        var out: [Malformed] = []
        func add(_ name: String, _ bytes: [UInt8], _ expected: ExpectedError) {
            out.append(Malformed(name: name, bytes: bytes, expected: expected))
        }
        let L = layout
        let size = base.count

        // Header.
        add("empty file", [], .matching(.file) { if case .file(.empty) = $0 { return true } else { return false } })
        add("magic GGUG", patched(UInt32(0x4755_4747), at: 0), .exactly(.badMagic(expected: "GGUF", found: 0x4755_4747)))
        add("magic zero", patched(UInt32(0), at: 0), .exactly(.badMagic(expected: "GGUF", found: 0)))
        add("llama2.c header where GGUF magic belongs", patched(UInt32(64), at: 0), .exactly(.badMagic(expected: "GGUF", found: 64)))
        for v: UInt32 in [0, 1, 4, 0x0300_0000, .max] {
            add("version \(v)", patched(v, at: GGUFLayout.versionOffset), .exactly(.unsupportedVersion(v)))
        }
        for count: UInt64 in [1 << 63, 1 << 40, .max] {
            add("tensor count \(count)", patched(count, at: GGUFLayout.tensorCountOffset),
                .exactly(.absurdCount(what: "tensor count", count: count, limit: remaining(after: 16) / 24)))
            add("metadata count \(count)", patched(count, at: GGUFLayout.metadataCountOffset),
                .exactly(.absurdCount(what: "metadata count", count: count, limit: remaining(after: 24) / 13)))
        }
        add("tensor count one too many", patched(UInt64(L.tensors.count + 1), at: GGUFLayout.tensorCountOffset), .any)
        add("metadata count one too many", patched(UInt64(L.entries.count + 1), at: GGUFLayout.metadataCountOffset), .any)
        // The last metadata entry is then read as a tensor info: its value type (9) as the rank.
        add("metadata count one too few", patched(UInt64(L.entries.count - 1), at: GGUFLayout.metadataCountOffset),
            badDimensions("specimen.words", []))

        // Strings.
        let flag = L.entry("specimen.flag")
        for length: UInt64 in [.max, 1 << 63, remaining(after: flag.start + 8) + 1] {
            add("key length \(length)", patched(length, at: flag.start),
                .exactly(.absurdCount(what: "metadata key length", count: length, limit: remaining(after: flag.start + 8))))
        }
        let name = L.entry("specimen.name")
        for length: UInt64 in [.max, remaining(after: name.valueOffset + 8) + 1] {
            add("string value length \(length)", patched(length, at: name.valueOffset),
                .exactly(.absurdCount(what: "length of string 'specimen.name'", count: length, limit: remaining(after: name.valueOffset + 8))))
        }
        add("string value length swallowing the next key", patched(UInt64(3 + 9), at: name.valueOffset), .any)
        let words = L.entry("specimen.words")
        add("string array element length UInt64.max", patched(UInt64.max, at: words.elementOffsets[1]),
            .exactly(.absurdCount(what: "length of string 'specimen.words'", count: .max, limit: remaining(after: words.elementOffsets[1] + 8))))
        let a = L.tensor("a")
        add("tensor name length UInt64.max", patched(UInt64.max, at: a.start),
            .exactly(.absurdCount(what: "tensor name length", count: .max, limit: remaining(after: a.start + 8))))

        // Array counts, for every element type: absurd, and one more than could fit.
        for raw in UInt32(0)...12 {
            let t = GGUFValueType(rawValue: raw)!
            let bytes = specimen { $0.add("arr", twoElements(raw)) }
            let arr = GGUFLayout(bytes).entry("arr")
            let limit = remaining(after: arr.arrayCountOffset + 8, in: bytes) / minimumElementBytes[raw]!
            for count in [UInt64.max, limit + 1] {
                add("array of \(t) count \(count == .max ? "UInt64.max" : "limit + 1")", patched(count, at: arr.arrayCountOffset, in: bytes),
                    .exactly(.absurdCount(what: "length of array 'arr'", count: count, limit: limit)))
            }
        }
        let list = L.entry("specimen.list")
        add("int32 array count running into the tensor table", patched(UInt64(40), at: list.arrayCountOffset), .any)

        // Value types.
        let count = L.entry("specimen.count")
        for type: UInt32 in [13, 255, .max] {
            add("value type \(type)", patched(type, at: count.typeOffset), .exactly(.unknownValueType(key: "specimen.count", type: type)))
            add("array element type \(type)", patched(type, at: list.arrayElementTypeOffset),
                .exactly(.unknownValueType(key: "specimen.list", type: type)))
        }
        for b: UInt8 in [2, 255] {
            add("bool value \(b)", patched(b, at: flag.valueOffset),
                .exactly(.wrongKeyType(key: "specimen.flag", expected: "a bool (0 or 1), found \(b)")))
        }
        let flags = L.entry("specimen.flags")
        add("bool array element 2", patched(UInt8(2), at: flags.elementOffsets[1]),
            .exactly(.wrongKeyType(key: "specimen.flags", expected: "a bool (0 or 1), found 2")))
        for depth in [5, 6, 100] {
            add("arrays nested \(depth) deep", specimen { $0.add("deep", GGUFRoundTripTests.nested(depth: depth, innermost: .array(elementType: .uint8, values: [.uint8(1)]))) },
                .exactly(.nestingTooDeep(key: "deep")))
        }

        // Alignment.
        let aligned64 = specimen(alignment: 64)
        let alignmentValue = GGUFLayout(aligned64).entry("general.alignment").valueOffset
        for value: UInt32 in [0, 3, 48, 1 << 21, .max] {
            add("alignment \(value)", patched(value, at: alignmentValue, in: aligned64), .exactly(.badAlignment(UInt64(value))))
        }
        add("alignment -32 (int32)", specimen { $0.add("general.alignment", .int32(-32)) }, .exactly(.badAlignment(UInt64(bitPattern: -32))))
        add("alignment 2^40 (uint64)", specimen { $0.add("general.alignment", .uint64(1 << 40)) }, .exactly(.badAlignment(1 << 40)))
        let notIntegers: [(String, GGUFValue)] = [
            ("float32", .float32(32)), ("float64", .float64(32)), ("string", .string("32")), ("bool", .bool(true)),
            ("array", .array(elementType: .uint32, values: [.uint32(32)])),
        ]
        for (typeName, value) in notIntegers {
            add("alignment of type \(typeName)", specimen { $0.add("general.alignment", value) },
                .exactly(.wrongKeyType(key: "general.alignment", expected: "an integer")))
        }

        // Duplicates.
        add("duplicate metadata key", specimen { $0.add("specimen.count", .uint32(8)) },
            .exactly(.duplicate(what: "metadata key", name: "specimen.count")))
        add("duplicate tensor name", specimen { try $0.addTensor("a", dims: [8, 2], type: f32) },
            .exactly(.duplicate(what: "tensor", name: "a")))

        // Tensor infos.
        let b = L.tensor("b")
        let c = L.tensor("c")
        for type: UInt32 in [4, 5, 99, .max] {
            add("tensor type \(type)", patched(type, at: b.typeOffset), .exactly(.unknownTensorType(tensor: "b", type: type)))
        }
        for rank: UInt32 in [0, 5, .max] {
            add("rank \(rank)", patched(rank, at: a.nDimsOffset), badDimensions("a", []))
        }
        add("zero ne1", patched(UInt64(0), at: a.dimOffsets[1]), badDimensions("a", [8, 0]))
        add("zero ne0", patched(UInt64(0), at: a.dimOffsets[0]), badDimensions("a", [0, 2]))
        add("zero ne3", patched(UInt64(0), at: c.dimOffsets[3]), badDimensions("c", [4, 3, 2, 0]))
        let overflowing: [[UInt64]] = [[1 << 32, 1 << 32], [1 << 61, 1], [.max, 2], [1 << 62, 1 << 62]]
        for dims in overflowing {
            add("dims \(dims) overflow", patched(dims[1], at: a.dimOffsets[1], in: patched(dims[0], at: a.dimOffsets[0])), badDimensions("a", dims))
        }
        var rank4 = base
        for i in 0..<4 { rank4.patch(UInt64(1 << 16), at: c.dimOffsets[i]) }
        add("rank-4 dims multiplying to 2^64", rank4, badDimensions("c", [1 << 16, 1 << 16, 1 << 16, 1 << 16]))
        for ne0: UInt64 in [33, 16, 1] {
            add("q8_0 ne0 \(ne0)", patched(ne0, at: b.dimOffsets[0]), badDimensions("b", [ne0, 2]))
        }
        // A block table that does not fit the type: b's 32 x 2 elements retyped as 256-element blocks.
        for type in [DType.q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .iq4_xs] {
            add("q8_0 data retyped as \(type)", patched(type.rawValue, at: b.typeOffset), badDimensions("b", [32, 2]))
        }
        let cBytes: UInt64 = 4 * 3 * 2 * 1 * 2
        let dataBytes = UInt64(available)
        for offset: UInt64 in [1 << 40, UInt64.max & ~31, dataBytes] {
            add("tensor offset \(offset) past the end", patched(offset, at: c.offsetOffset),
                .exactly(.tensorOutOfBounds(tensor: "c", offset: offset, bytes: cBytes, available: dataBytes)))
        }
        add("tensor offset + size past the end", patched(dataBytes - 32, at: c.offsetOffset),
            .exactly(.tensorOutOfBounds(tensor: "c", offset: dataBytes - 32, bytes: cBytes, available: dataBytes)))
        add("misaligned tensor offset", patched(b.dataOffset + 1, at: b.offsetOffset),
            .exactly(.misalignedTensor(tensor: "b", offset: b.dataOffset + 1, alignment: 32)))
        let b64 = GGUFLayout(aligned64).tensor("b")
        add("offset aligned to 32 in a file aligned to 64", patched(b64.dataOffset + 32, at: b64.offsetOffset, in: aligned64),
            .exactly(.misalignedTensor(tensor: "b", offset: b64.dataOffset + 32, alignment: 64)))

        // Truncations of the specimen.
        if L.dataStart > L.tableEnd + 1 {
            add("truncated in the data section padding", Array(base.prefix(L.tableEnd + 1)),
                .exactly(.truncated(section: "data section padding", offset: L.tableEnd, needed: L.dataStart - L.tableEnd, fileSize: L.tableEnd + 1)))
        }
        add("truncated inside tensor c", Array(base.prefix(L.dataStart + Int(c.dataOffset) + 1)),
            .exactly(.tensorOutOfBounds(tensor: "c", offset: c.dataOffset, bytes: cBytes, available: c.dataOffset + 1)))
        precondition(size > L.dataStart)
        return out
    }()

    /// The specimens the corpus is cut from are themselves valid: every failure below is
    /// the patch's doing.
    @Test func specimensOpen() throws {
        for bytes in [Self.base, Self.specimen(alignment: 64), Self.specimen { $0.add("arr", Self.twoElements(9)) }] {
            let error = try ggufOpenError(bytes)
            #expect(error == nil, "\(String(describing: error))")
        }
        try withTemporaryFile("specimen.gguf", contents: Self.base) { path in
            let file = try GGUFFile(path: path)
            #expect(file.tensors.map(\.name) == ["a", "b", "c"])
            #expect(file.dataOffset == Self.layout.dataStart)
        }
    }

    @Test(arguments: corpus)
    func malformedFileIsRefusedWithATypedError(_ malformed: Malformed) throws {
        let error = try #require(try ggufOpenError(malformed.bytes), "\(malformed.name): opened without an error")
        #expect(malformed.expected.accepts(error), "\(malformed.name): expected \(malformed.expected), got \(error)")
        #expect(!error.description.isEmpty)
    }

    @Test func missingFileIsAFileError() {
        let path = Fixtures.temporaryPath("absent.gguf")
        #expect(throws: ModelFileError.file(.missing(path: path))) { _ = try GGUFFile(path: path) }
    }

    // MARK: - Truncations of a real file

    static let stories: [UInt8] = try! fileBytes(Fixtures.model("stories260K.gguf"))
    static let storiesLayout = GGUFLayout(stories)

    /// A prefix of stories260K.gguf.
    struct Cut: Sendable, CustomTestStringConvertible {
        let name: String
        let length: Int
        var testDescription: String { "\(name) (\(length) bytes)" }
    }

    /// Cuts at every section boundary, inside each field of the first entries and tensor
    /// infos, inside a long string array, and through the data section.
    static let boundaryCuts: [Cut] = {
        let L = storiesLayout
        var cuts: [Cut] = []
        func cut(_ name: String, _ length: Int) { cuts.append(Cut(name: name, length: length)) }
        cut("empty", 0)
        cut("inside magic", 2)
        cut("after magic", 4)
        cut("inside version", 6)
        cut("after version", 8)
        cut("inside tensor count", 12)
        cut("after tensor count", 16)
        cut("inside metadata count", 20)
        cut("after metadata count", 24)
        for (i, e) in L.entries.enumerated() {
            if i < 4 {
                cut("kv \(i) inside key length", e.start + 3)
                cut("kv \(i) after key length", e.start + 8)
                cut("kv \(i) inside key", (e.start + 8 + e.typeOffset) / 2)
                cut("kv \(i) after key", e.typeOffset)
                cut("kv \(i) inside type", e.typeOffset + 2)
                cut("kv \(i) after type", e.valueOffset)
                if e.valueType == 9 {
                    cut("kv \(i) after element type", e.valueOffset + 4)
                    cut("kv \(i) inside array count", e.valueOffset + 8)
                    cut("kv \(i) after array count", e.valueOffset + 12)
                    for k in [1, 2, 100, 255, e.elementOffsets.count - 1] {
                        cut("kv \(i) before element \(k)", e.elementOffsets[k])
                        cut("kv \(i) inside element \(k)", e.elementOffsets[k] + 5)
                        cut("kv \(i) after element \(k)'s header", e.elementOffsets[k] + 9)
                    }
                    cut("kv \(i) one byte short", e.end - 1)
                } else {
                    cut("kv \(i) inside value", e.valueOffset + 1)
                }
            }
            cut("after kv \(i) \(e.key)", e.end)
        }
        for (i, t) in L.tensors.enumerated() {
            if i < 3 || i == L.tensors.count - 1 {
                cut("tensor info \(i) inside name length", t.start + 4)
                cut("tensor info \(i) after name length", t.start + 8)
                cut("tensor info \(i) after name", t.nDimsOffset)
                cut("tensor info \(i) after n_dims", t.nDimsOffset + 4)
                for (k, d) in t.dimOffsets.enumerated() {
                    cut("tensor info \(i) inside dim \(k)", d + 4)
                    cut("tensor info \(i) after dim \(k)", d + 8)
                }
                cut("tensor info \(i) after type", t.offsetOffset)
                cut("tensor info \(i) inside offset", t.offsetOffset + 4)
            }
            cut("after tensor info \(i) \(t.name)", t.end)
        }
        cut("after the table", L.tableEnd)
        cut("inside the padding", L.tableEnd + 1)
        cut("just before the data section", L.dataStart - 1)
        cut("at the data section", L.dataStart)
        cut("one data byte", L.dataStart + 1)
        for t in L.tensors {
            let start = L.dataStart + Int(t.dataOffset)
            let bytes = Int(t.dims.reduce(4, *))
            cut("start of \(t.name) data", start)
            cut("middle of \(t.name) data", start + bytes / 2)
            cut("last byte of \(t.name) data missing", start + bytes - 1)
        }
        cut("last byte missing", stories.count - 1)
        var seen = Set<Int>()
        return cuts.filter { $0.length < stories.count && seen.insert($0.length).inserted }
    }()

    /// Cuts every 997 bytes through the whole file.
    static let sweepCuts: [Cut] = stride(from: 997, to: stories.count, by: 997).map { Cut(name: "sweep", length: $0) }

    /// The error a prefix of `length` bytes must raise: a truncation or an impossible count
    /// in the header; past the table, exactly the padding or the first tensor that no
    /// longer fits.
    static func expectedError(forCut length: Int) -> ExpectedError {
        let L = storiesLayout
        if length == 0 { return .matching(.file) { if case .file(.empty) = $0 { return true } else { return false } } }
        if length < L.tableEnd { return .oneOf([.truncated, .absurdCount]) }
        if length < L.dataStart {
            return .exactly(.truncated(section: "data section padding", offset: L.tableEnd, needed: L.dataStart - L.tableEnd, fileSize: length))
        }
        let available = UInt64(length - L.dataStart)
        for t in L.tensors {
            precondition(t.type == 0, "stories260K.gguf is all f32")
            let bytes = t.dims.reduce(4, *)
            if t.dataOffset + bytes > available {
                return .exactly(.tensorOutOfBounds(tensor: t.name, offset: t.dataOffset, bytes: bytes, available: available))
            }
        }
        preconditionFailure("a cut of \(length) bytes leaves every tensor whole")
    }

    static func checkTruncated(_ cut: Cut) throws {
        let error = try #require(try ggufOpenError(stories.prefix(cut.length)), "\(cut.name): a \(cut.length)-byte prefix opened")
        let expected = expectedError(forCut: cut.length)
        #expect(expected.accepts(error), "\(cut.name): expected \(expected), got \(error)")
    }

    @Test(arguments: boundaryCuts)
    func realFileTruncatedAtASectionBoundaryIsRefused(_ cut: Cut) throws {
        try Self.checkTruncated(cut)
    }

    @Test(arguments: sweepCuts)
    func realFileTruncatedAnywhereIsRefused(_ cut: Cut) throws {
        try Self.checkTruncated(cut)
    }
}
