import Engine
import Foundation
import StrataRuntime
import Testing
import TestSupport

/// What `GGUFWriter` writes, `GGUFFile` reads back exactly: every metadata value type with
/// its extremes (floats bit for bit), key order, every tensor type in ranks 1 to 4, tensor
/// bytes, and aligned offsets under several alignments.
@Suite struct GGUFRoundTripTests {
    // MARK: - Metadata

    static let floats32: [Float] = [
        0, -0.0, 1, -1, .pi, .infinity, -.infinity, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
        .leastNormalMagnitude, .leastNonzeroMagnitude, .ulpOfOne,
        .nan, -.nan, Float(bitPattern: 0x7FC0_1234), Float(bitPattern: 0xFFC0_0001),
        Float(bitPattern: 0x7F80_0001),  // a signalling NaN: must not be quieted on the way
    ]
    static let floats64: [Double] = [
        0, -0.0, 1, -1, .pi, .infinity, -.infinity, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
        .leastNormalMagnitude, .leastNonzeroMagnitude, .ulpOfOne,
        .nan, -.nan, Double(bitPattern: 0x7FF8_0000_0000_BEEF), Double(bitPattern: 0xFFF8_0000_0000_0001),
        Double(bitPattern: 0x7FF0_0000_0000_0001),  // signalling
    ]
    static let strings = [
        "", "a", "llama", "héllo wörld", "🦙 日本語 中文 한국어", "e\u{301} vs é", "nul\u{0}inside", "\u{FFFD}\u{10FFFF}",
        "tab\tnewline\nquote\"backslash\\", String(repeating: "long ", count: 20_000),
    ]

    /// One of every scalar extreme, every empty array, arrays of every type, and nested arrays.
    static let catalog: [(key: String, value: GGUFValue)] = {
        var out: [(String, GGUFValue)] = [
            ("u8.min", .uint8(.min)), ("u8.max", .uint8(.max)),
            ("i8.min", .int8(.min)), ("i8.max", .int8(.max)), ("i8.minus1", .int8(-1)),
            ("u16.min", .uint16(.min)), ("u16.max", .uint16(.max)),
            ("i16.min", .int16(.min)), ("i16.max", .int16(.max)),
            ("u32.min", .uint32(.min)), ("u32.max", .uint32(.max)),
            ("i32.min", .int32(.min)), ("i32.max", .int32(.max)),
            ("u64.min", .uint64(.min)), ("u64.max", .uint64(.max)),
            ("i64.min", .int64(.min)), ("i64.max", .int64(.max)), ("i64.minus1", .int64(-1)),
            ("bool.true", .bool(true)), ("bool.false", .bool(false)),
        ]
        for (i, f) in floats32.enumerated() { out.append(("f32.\(i)", .float32(f))) }
        for (i, d) in floats64.enumerated() { out.append(("f64.\(i)", .float64(d))) }
        for (i, s) in strings.enumerated() { out.append(("str.\(i)", .string(s))) }
        // An empty array of every element type, arrays of arrays included.
        for raw in UInt32(0)...12 {
            let t = GGUFValueType(rawValue: raw)!
            out.append(("empty.\(t)", .array(elementType: t, values: [])))
        }
        out += [
            ("arr.u8", .array(elementType: .uint8, values: [0, 1, 127, 128, 255].map { .uint8($0) })),
            ("arr.i8", .array(elementType: .int8, values: [.min, -1, 0, 1, .max].map { .int8($0) })),
            ("arr.u16", .array(elementType: .uint16, values: [0, 1, .max].map { .uint16($0) })),
            ("arr.i16", .array(elementType: .int16, values: [.min, -1, .max].map { .int16($0) })),
            ("arr.u32", .array(elementType: .uint32, values: [0, 0xDEAD_BEEF, .max].map { .uint32($0) })),
            ("arr.i32", .array(elementType: .int32, values: [.min, -1, .max].map { .int32($0) })),
            ("arr.u64", .array(elementType: .uint64, values: [0, 1 << 63, .max].map { .uint64($0) })),
            ("arr.i64", .array(elementType: .int64, values: [.min, -1, .max].map { .int64($0) })),
            ("arr.f32", .array(elementType: .float32, values: floats32.map { .float32($0) })),
            ("arr.f64", .array(elementType: .float64, values: floats64.map { .float64($0) })),
            ("arr.bool", .array(elementType: .bool, values: [true, false, true].map { .bool($0) })),
            ("arr.str", .array(elementType: .string, values: strings.map { .string($0) })),
            ("arr.arr", .array(elementType: .array, values: [
                .array(elementType: .uint8, values: [.uint8(1), .uint8(2)]),
                .array(elementType: .string, values: [.string(""), .string("🦙")]),
                .array(elementType: .float64, values: []),
                .array(elementType: .array, values: [.array(elementType: .int64, values: [.int64(.min)])]),
            ])),
            ("arr.deepest", nested(depth: 4, innermost: .array(elementType: .bool, values: [.bool(true)]))),
            ("arr.many", .array(elementType: .uint32, values: (0..<10_000).map { .uint32(UInt32($0) &* 2_654_435_761) })),
            (String(repeating: "k", count: 300) + ".long_key", .string("value of a long key")),
        ]
        return out
    }()

    /// `depth` arrays, each holding the next; the innermost holds `innermost`'s elements.
    static func nested(depth: Int, innermost: GGUFValue) -> GGUFValue {
        var value = innermost
        for _ in 1..<depth { value = .array(elementType: .array, values: [value]) }
        return value
    }

    /// Keys in a scrambled, deterministic order, so that sorted or hashed storage shows.
    static func scrambled<T>(_ items: [T]) -> [T] {
        var out = items
        var state: UInt64 = 0x5EED
        for i in stride(from: out.count - 1, to: 0, by: -1) {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            out.swapAt(i, Int((state >> 33) % UInt64(i + 1)))
        }
        return out
    }

    @Test(arguments: [false, true])
    func everyMetadataValueReadsBackBitForBitInKeyOrder(scrambleOrder: Bool) throws {
        let entries = scrambleOrder ? Self.scrambled(Self.catalog) : Self.catalog
        var writer = GGUFWriter()
        for (key, value) in entries { writer.add(key, value) }
        let bytes = writer.encode { _, _ in }
        try withTemporaryFile("metadata.gguf", contents: bytes) { path in
            let file = try GGUFFile(path: path)
            #expect(file.version == 3)
            #expect(file.metadataKeys == entries.map(\.key))
            #expect(file.metadata.count == entries.count)
            #expect(file.tensors.isEmpty)
            for (key, value) in entries {
                let read = try #require(file.metadata[key], "\(key) is missing")
                #expect(identical(read, value), "\(key): wrote \(value), read \(read)")
            }
        }
    }

    /// The comparison above is strict: it tells NaN payloads, signed zeros and element types apart.
    @Test func bitwiseComparisonTellsNearlyEqualValuesApart() {
        #expect(identical(.float32(.nan), .float32(.nan)))
        #expect(!identical(.float32(.nan), .float32(Float(bitPattern: 0x7FC0_1234))))
        #expect(!identical(.float64(0), .float64(-0.0)))
        #expect(!identical(.uint8(1), .int8(1)))
        #expect(!identical(.array(elementType: .uint8, values: []), .array(elementType: .int8, values: [])))
        #expect(!identical(.array(elementType: .uint8, values: [.uint8(1)]), .array(elementType: .uint8, values: [.uint8(2)])))
        #expect(Set(Self.catalog.map(\.value.type)).count == 13, "the catalog covers every value type")
    }

    /// The accessors that interpret values agree with what was written.
    @Test func valueAccessorsInterpretTheReadValues() throws {
        var writer = GGUFWriter()
        writer.add("n", .uint64(.max))
        writer.add("i", .int8(-5))
        writer.add("f", .float32(0.5))
        writer.add("s", .string("🦙"))
        writer.add("b", .bool(true))
        writer.add("strs", .array(elementType: .string, values: [.string("a"), .string("")]))
        writer.add("ints", .array(elementType: .int16, values: [.int16(-3), .int16(4)]))
        writer.add("fl", .array(elementType: .float64, values: [.float64(0.25)]))
        try withTemporaryFile("accessors.gguf", contents: writer.encode { _, _ in }) { path in
            let m = try GGUFFile(path: path).metadata
            #expect(m["n"]?.int == nil, "UInt64.max does not fit in Int")
            #expect(m["n"]?.type == .uint64)
            #expect(m["i"]?.int == -5)
            #expect(m["f"]?.double == 0.5)
            #expect(m["s"]?.string == "🦙")
            #expect(m["b"]?.bool == true)
            #expect(m["strs"]?.strings == ["a", ""])
            #expect(m["ints"]?.ints == [-3, 4])
            #expect(m["fl"]?.floats == [0.25])
            #expect(m["ints"]?.strings == nil)
        }
    }

    // MARK: - Tensors

    /// Every type the reader knows (and the writer therefore accepts).
    static let allTypes: [GGMLType] = (UInt32(0)...64).compactMap { GGMLType(id: $0) }

    /// Shapes of rank 1 to 4 for a type, ne0 a whole number of blocks.
    static func shapes(_ type: GGMLType) -> [[Int]] {
        let b = type.blockElements
        return [[b], [2 * b, 3], [b, 2, 3], [3 * b, 1, 2, 2]]
    }

    @Test func readerKnowsTheCommonGGMLTypes() {
        let names = Set(Self.allTypes.map(\.name))
        for name in ["f32", "f16", "bf16", "q4_0", "q4_1", "q5_0", "q5_1", "q8_0", "q8_1", "q2_K", "q3_K", "q4_K", "q5_K", "q6_K",
                     "q8_K", "iq4_nl", "iq4_xs", "iq2_xxs", "i8", "i16", "i32", "i64", "f64"] {
            #expect(names.contains(name), "\(name)")
        }
        for dtype in DType.allCases {
            #expect(GGMLType(dtype).dtype == dtype)
            #expect(GGMLType(dtype).blockBytes == dtype.blockBytes)
            #expect(GGMLType(dtype).blockElements == dtype.blockElements)
        }
    }

    /// A writer with a tensor of every type in every rank, and its expected bytes.
    static func tensorWriter(alignment: Int) throws -> GGUFWriter {
        var writer = GGUFWriter(alignment: alignment)
        writer.add("general.name", .string("round trip"))
        for type in allTypes {
            for dims in shapes(type) { try writer.addTensor("t.\(type.name).rank\(dims.count)", dims: dims, type: type) }
        }
        return writer
    }

    static func contents(of tensor: GGUFTensorInfo) -> [UInt8] {
        let seed = tensor.name.utf8.reduce(UInt64(0xCBF2_9CE4_8422_2325)) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 }
        return deterministicBytes(count: tensor.byteCount, seed: seed)
    }

    static func fill(_ tensor: GGUFTensorInfo, _ buffer: UnsafeMutableRawBufferPointer) {
        #expect(buffer.count == tensor.byteCount)
        #expect(buffer.allSatisfy { $0 == 0 }, "the writer hands out zeroed buffers")
        buffer.copyBytes(from: contents(of: tensor))
    }

    @Test(arguments: [1, 2, 8, 32, 64, 4096])
    func tensorsOfEveryTypeAndRankReadBackExactly(alignment: Int) throws {
        let writer = try Self.tensorWriter(alignment: alignment)
        let bytes = writer.encode(fill: Self.fill)
        let path = Fixtures.temporaryPath("tensors.gguf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try writer.write(to: path, fill: Self.fill)
        #expect(try fileBytes(path) == bytes, "write(to:) streams the same bytes that encode() builds")

        let file = try GGUFFile(path: path)
        #expect(file.alignment == alignment)
        #expect(file.dataOffset % alignment == 0)
        #expect(file.metadata["general.alignment"] == (alignment == 32 ? nil : .uint32(UInt32(alignment))))
        #expect(file.tensors == writer.tensors)
        #expect(file.tensors.count == Self.allTypes.count * 4)
        var end = 0
        for (tensor, written) in zip(file.tensors, writer.tensors) {
            #expect(tensor.offset % alignment == 0, "\(tensor.name) offset \(tensor.offset)")
            #expect(tensor.offset >= end, "\(tensor.name) overlaps the previous tensor")
            end = tensor.offset + tensor.byteCount
            #expect(tensor.byteCount == tensor.elementCount / tensor.type.blockElements * tensor.type.blockBytes)
            #expect(file.tensor(named: tensor.name) == tensor)
            let data = UnsafeRawBufferPointer(start: file.unsafeData(of: tensor), count: tensor.byteCount)
            #expect(Array(data) == Self.contents(of: written), "\(tensor.name) data")
            #expect(Int(bitPattern: file.unsafeData(of: tensor)) % min(alignment, 4096) == 0)
        }
        #expect(file.file.size == file.dataOffset + (end + alignment - 1) / alignment * alignment)
        #expect(file.tensor(named: "absent") == nil)
    }

    @Test func writerRefusesTensorsTheReaderWouldReject() {
        var writer = GGUFWriter()
        let f32 = GGMLType(.f32)
        let q8 = GGMLType(.q8_0)
        #expect(throws: GGUFWriter.WriteError.self) { try writer.addTensor("rank0", dims: [], type: f32) }
        #expect(throws: GGUFWriter.WriteError.self) { try writer.addTensor("rank5", dims: [1, 1, 1, 1, 1], type: f32) }
        #expect(throws: GGUFWriter.WriteError.self) { try writer.addTensor("zero", dims: [4, 0], type: f32) }
        #expect(throws: GGUFWriter.WriteError.self) { try writer.addTensor("negative", dims: [4, -1], type: f32) }
        #expect(throws: GGUFWriter.WriteError.self) { try writer.addTensor("ragged", dims: [33], type: q8) }
        #expect(writer.tensors.isEmpty)
    }

    /// An array whose elements are not of its declared element type cannot be encoded:
    /// writing it is programmer misuse, which must trap rather than produce a corrupt file.
    @Test func writerTrapsOnAnArrayWhoseElementsAreNotItsElementType() async {
        await #expect(processExitsWith: .failure) {
            var writer = GGUFWriter()
            writer.add("mistyped", .array(elementType: .uint8, values: [.string("hello")]))
            _ = writer.encodeHeader()
        }
    }

    /// GGUF v2 has the same layout as v3 (64-bit counts); the reader takes both.
    @Test func versionTwoReadsLikeVersionThree() throws {
        var writer = GGUFWriter()
        writer.add("general.name", .string("v2"))
        try writer.addTensor("w", dims: [8, 2], type: GGMLType(.f32))
        let bytes = writer.encode(fill: Self.fill).patching(UInt32(2), at: GGUFLayout.versionOffset)
        try withTemporaryFile("v2.gguf", contents: bytes) { path in
            let file = try GGUFFile(path: path)
            #expect(file.version == 2)
            #expect(file.tensors == writer.tensors)
        }
    }

    // MARK: - Real files

    /// A real file, re-encoded from what the reader parsed, is the same file: the same
    /// bytes (vocab-only files gain only the writer's zero padding at the end).
    @Test(arguments: ["stories260K.gguf", "vocab/ggml-vocab-gpt-2.gguf", "vocab/ggml-vocab-llama-spm.gguf"])
    func realFileReEncodedFromItsParseIsTheSameFile(name: String) throws {
        let original = try GGUFFile(path: Fixtures.model(name))
        var writer = GGUFWriter(alignment: original.alignment)
        for key in original.metadataKeys where key != "general.alignment" { writer.add(key, original.metadata[key]!) }
        for t in original.tensors { try writer.addTensor(t.name, dims: t.dims, type: t.type) }
        let bytes = writer.encode { tensor, buffer in
            let source = original.tensor(named: tensor.name)!
            buffer.copyMemory(from: UnsafeRawBufferPointer(start: original.unsafeData(of: source), count: source.byteCount))
        }
        let originalBytes = Array(original.file.unsafeBytes)
        #expect(Array(bytes.prefix(originalBytes.count)) == originalBytes)
        #expect(bytes.dropFirst(originalBytes.count).allSatisfy { $0 == 0 })
        #expect(bytes.count - originalBytes.count < original.alignment)
        if !original.tensors.isEmpty { #expect(bytes.count == originalBytes.count) }

        try withTemporaryFile("reencoded.gguf", contents: bytes) { path in
            let copy = try GGUFFile(path: path)
            #expect(copy.version == original.version)
            #expect(copy.metadataKeys == original.metadataKeys)
            for key in original.metadataKeys { #expect(identical(copy.metadata[key]!, original.metadata[key]!), "\(key)") }
            #expect(copy.tensors == original.tensors)
            #expect(copy.dataOffset == original.dataOffset)
            for t in original.tensors {
                #expect(memcmp(copy.unsafeData(of: t), original.unsafeData(of: t), t.byteCount) == 0, "\(t.name)")
            }
        }
    }

    /// The fixture's table as llama.cpp's converter wrote it (the walker and the reader agree).
    @Test func stories260KTableMatchesAnIndependentWalk() throws {
        let file = try GGUFFile(path: Fixtures.model("stories260K.gguf"))
        let layout = GGUFLayout(Array(file.file.unsafeBytes))
        #expect(file.metadataKeys == layout.entries.map(\.key))
        #expect(file.tensors.map(\.name) == layout.tensors.map(\.name))
        #expect(file.tensors.map { $0.dims.map(UInt64.init) } == layout.tensors.map(\.dims))
        #expect(file.tensors.map(\.type.id) == layout.tensors.map(\.type))
        #expect(file.tensors.map { UInt64($0.offset) } == layout.tensors.map(\.dataOffset))
        #expect(file.dataOffset == layout.dataStart)
        #expect(file.tensors.count == 48)
        #expect(file.metadataKeys.count == 19)
        #expect(file.architecture == "llama")
        #expect(file.metadata["tokenizer.ggml.tokens"]?.strings?.count == 512)
    }
}
