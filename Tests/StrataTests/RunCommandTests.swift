import Foundation
import Testing
import TestSupport

/// `strata run` end to end, as a user runs it.
@Suite struct RunCommandTests {
    @Test("greedy run of the GGUF prints exactly llama2.c's reference text on stdout")
    func greedyGGUF() throws {
        let r = try StrataProcess.run(["run", "--model", "models/stories260K.gguf", "--temp", "0", "-n", "200"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == (try References.stories260KGreedy()) + "\n")
    }

    @Test("greedy run of the llama2.c checkpoint with tok512.bin prints the same text")
    func greedyLlama2C() throws {
        let r = try StrataProcess.run(["run", "--model", "models/stories260K.bin", "--tokenizer", "models/tok512.bin",
                                       "--temp", "0", "-n", "200", "--threads", "1"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == (try References.stories260KGreedy()) + "\n")
    }

    @Test("with no prompt a BOS model starts from BOS; the summary goes to stderr")
    func summary() throws {
        let r = try StrataProcess.run(["run", "--model", "models/stories260K.gguf", "-n", "16", "--seed", "7"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!r.stdout.isEmpty)
        for field in ["load:", "prompt: 1 tokens", "generation: 16 tokens", "tok/s", "peak RSS:"] {
            #expect(r.stderr.contains(field), "missing \(field) in \(r.stderr)")
        }
        #expect(!r.stdout.contains("tok/s"))
    }

    /// Without `--model`, SmolLM2 (fetched by `models/fetch-smollm2.sh`): its greedy
    /// continuation starts as llama.cpp's does (the reference in
    /// `Tests/EngineTests/Models/Reference`), with no BOS added.
    @Test("without --model the default model is SmolLM2-135M-Instruct", .enabled(if: TestModels.smollm2IsPresent, Comment(rawValue: TestModels.smollm2Missing)))
    func defaultModel() throws {
        let r = try StrataProcess.run(["run", "--prompt", "The capital of France is", "--temp", "0", "-n", "2"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == " Paris.\n")
        #expect(r.stderr.contains("prompt: 5 tokens"), "\(r.stderr)")
        let empty = try StrataProcess.run(["run", "-n", "2"])
        #expect(empty.status != 0)
        #expect(empty.stderr.contains("needs a --prompt"), "\(empty.stderr)")
    }

    /// `--chat` sends the prompt through the model's template: SmolLM2's adds its default
    /// system message, and the reply ends at `<|im_end|>`, before `-n`.
    @Test("run --chat answers through the chat template and stops at the end of the turn", .enabled(if: TestModels.smollm2IsPresent, Comment(rawValue: TestModels.smollm2Missing)))
    func chat() throws {
        let r = try StrataProcess.run(["run", "--chat", "--prompt", "Name three primary colors.", "--temp", "0", "-n", "64"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!r.stdout.isEmpty)
        #expect(!r.stdout.contains("<|im_end|>"))
        #expect(!r.stderr.contains("generation: 64 tokens"), "\(r.stderr)")
    }

    @Test("without --model and without the default model, the error says how to fetch it", .enabled(if: !TestModels.smollm2IsPresent))
    func defaultModelMissing() throws {
        let r = try StrataProcess.run(["run", "--prompt", "Hi", "-n", "2"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("models/fetch-smollm2.sh"), "\(r.stderr)")
    }

    @Test("the same seed gives the same sampled text; a prompt is not echoed")
    func seededSampling() throws {
        let args = ["run", "--model", "models/stories260K.gguf", "--prompt", "Once upon a time", "-n", "40", "--temp", "1.0", "--top-k", "20", "--top-p", "0.9", "--seed", "42"]
        let a = try StrataProcess.run(args), b = try StrataProcess.run(args)
        #expect(a.status == 0 && b.status == 0)
        #expect(a.stdout == b.stdout)
        #expect(!a.stdout.hasPrefix("Once upon a time"))
    }

    @Test("bad input is a clear error and a non-zero exit", arguments: [
        (["run", "--model", "models/does-not-exist.gguf"], "no such file"),
        (["run", "--model", "models/tok512.bin"], "error:"),
        (["run", "--temp=-1"], "temperature"),
        (["run", "--top-p", "0"], "top_p"),
        (["run", "--max-tokens=-5"], "max-tokens"),
        (["run", "--threads", "0"], "threads"),
        (["run", "--model", "models/stories260K.gguf", "--ctx", "4", "--prompt", "Once upon a time there was a dog"], "context"),
        (["inspect", "models/README.md"], "error:"),
    ])
    func badInput(args: [String], message: String) throws {
        let r = try StrataProcess.run(args)
        #expect(r.status != 0)
        #expect(r.stderr.contains(message), "stderr: \(r.stderr)")
        #expect(!r.stderr.contains("Fatal error"))
    }
}

/// `strata inspect` and `strata synth`.
@Suite struct ToolCommandTests {
    @Test("inspect lists metadata and every tensor with type, shape, bytes and offset")
    func inspect() throws {
        let r = try StrataProcess.run(["inspect", "models/stories260K.gguf"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("general.architecture"))
        #expect(r.stdout.contains("token_embd.weight"))
        #expect(r.stdout.contains("blk.4.ffn_down.weight"))
        #expect(r.stdout.contains("[64, 512]"))
        #expect(r.stdout.contains("tensors,"))
    }

    @Test("synth writes a random-weight model of the named shape that loads and runs", arguments: ["q8_0", "q4_0", "f16"])
    func synth(type: String) throws {
        let path = Fixtures.temporaryPath("synth-\(type).gguf")
        defer { unlink(path) }
        let w = try StrataProcess.run(["synth", "--shape", "stories15M", "--type", type, path])
        #expect(w.status == 0, "\(w.stderr)")
        let i = try StrataProcess.run(["inspect", path])
        #expect(i.stdout.contains("blk.5.ffn_up.weight"))
        #expect(i.stdout.contains(type))
        let r = try StrataProcess.run(["run", "--model", path, "-n", "3", "--temp", "0"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("generation: 3 tokens"))
    }

    @Test("synth rejects unknown shapes and types")
    func synthErrors() throws {
        #expect(try StrataProcess.run(["synth", "--shape", "gpt5", "/tmp/x.gguf"]).status != 0)
        #expect(try StrataProcess.run(["synth", "--shape", "stories15M", "--type", "q3_k", "/tmp/x.gguf"]).status != 0)
    }
}

/// The memory figures `run` and `bench` report.
@Suite struct MemoryReportingTests {
    @Test("run reports bytes per tier, pages, KV bytes per token and heap bytes per decode step")
    func runReportsMemory() throws {
        let r = try StrataProcess.run(["run", "--model", "models/stories260K.gguf", "-n", "40", "--temp", "0"])
        #expect(r.status == 0, "\(r.stderr)")
        for field in ["memory: hot", "pages", "free", "cold", "pools", "KV 640 B/token", "heap/step 0.0 B"] {
            #expect(r.stderr.contains(field), "missing \(field) in \(r.stderr)")
        }
    }

    @Test("bench --json emits one object per test with llama-bench's field names and ours")
    func benchJSON() throws {
        let r = try StrataProcess.run(["bench", "-m", "models/stories260K.gguf", "-p", "32", "-n", "16", "-b", "1,2", "-r", "1", "--json", "--kv-type", "f32"])
        #expect(r.status == 0, "\(r.stderr)")
        let array = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]]
        let results = try #require(array)
        #expect(results.count == 3)
        let pp = try #require(results.first { $0["n_prompt"] as? Int == 32 })
        #expect((pp["avg_ts"] as? Double ?? 0) > 0)
        let tg = results.filter { $0["n_gen"] as? Int == 16 }
        #expect(Set(tg.compactMap { $0["n_batch"] as? Int }) == [1, 2])
        for json in results {
            #expect(json["n_threads"] as? Int != nil)
            #expect(json["stddev_ts"] != nil)
            #expect(json["kv_bytes_per_token"] as? Int == 1280)
            #expect((json["peak_rss_bytes"] as? Int ?? 0) > 0)
            for key in ["alloc_bytes_per_step", "bytes_hot", "bytes_cold", "bytes_free", "bytes_pools", "pages_hot", "pages_free", "weights_bytes"] {
                #expect(json[key] != nil, "missing \(key)")
            }
        }
    }

    @Test("bench takes llama-bench's comma-separated lists")
    func benchLists() throws {
        let r = try StrataProcess.run(["bench", "-m", "models/stories260K.gguf", "-p", "16,32", "-n", "8", "-t", "1,2", "-r", "1"])
        #expect(r.status == 0, "\(r.stderr)")
        for row in ["| 1 | 1 | pp16", "| 1 | 1 | pp32", "| 2 | 1 | pp32", "| 2 | 1 | tg8"] {
            #expect(r.stdout.contains(row), "missing \(row) in \(r.stdout)")
        }
        #expect(try StrataProcess.run(["bench", "-p", "16,x"]).status != 0)
    }

    @Test("a bad --kv-type is refused")
    func badKVType() throws {
        let r = try StrataProcess.run(["run", "--model", "models/stories260K.gguf", "--kv-type", "q4_k"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("kv-type"))
    }
}

/// `strata quantize` from the command line.
@Suite struct QuantizeCommandTests {
    @Test func quantizeThenRun() throws {
        let path = Fixtures.temporaryPath("cli-q8.gguf")
        defer { unlink(path) }
        let q = try StrataProcess.run(["quantize", "models/stories260K.gguf", path, "--type", "q8_0"])
        #expect(q.status == 0, "\(q.stderr)")
        #expect(q.stderr.contains("tensors converted to q8_0"))
        let r = try StrataProcess.run(["run", "--model", path, "-n", "8", "--temp", "0"])
        #expect(r.status == 0, "\(r.stderr)")
        let unknown = try StrataProcess.run(["quantize", "models/stories260K.gguf", path, "--type", "q7_k"])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("q4_K_M"))
        #expect(try StrataProcess.run(["quantize", "models/nope.gguf", path]).status != 0)
    }

    @Test func quantizeToAKQuantMixThenRun() throws {
        let path = Fixtures.temporaryPath("cli-q4km.gguf")
        defer { unlink(path) }
        let q = try StrataProcess.run(["quantize", "models/stories260K.gguf", path, "--type", "q4_k_m"])
        #expect(q.status == 0, "\(q.stderr)")
        #expect(q.stderr.contains("converted to q4_K_M"))
        let r = try StrataProcess.run(["run", "--model", path, "-n", "8", "--temp", "0"])
        #expect(r.status == 0, "\(r.stderr)")
    }

    @Test func aFileThatIsNotGGUFIsAnErrorNotACrash() throws {
        let path = Fixtures.temporaryPath("not.gguf"), out = Fixtures.temporaryPath("out.gguf")
        defer { unlink(path); unlink(out) }
        let f = fopen(path, "wb")!
        fputs("GGUF but not really", f)
        fclose(f)
        let r = try StrataProcess.run(["quantize", path, out, "--type", "q4_K_M"])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(!r.stderr.isEmpty)
    }
}
