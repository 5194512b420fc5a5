import Memory

extension MappedFile {
    /// Maps a model or tokenizer file, reporting failures as `ModelFileError.file`.
    static func modelFile(_ path: String, minimumSize: Int = 1) throws(ModelFileError) -> MappedFile {
        do { return try MappedFile(path: path, minimumSize: minimumSize) } catch { throw .file(error) }
    }

    /// The first four bytes read as a little-endian magic number (the file has at least four).
    var magic: UInt32 { UInt32(littleEndian: unsafeBytes.loadUnaligned(as: UInt32.self)) }
}
