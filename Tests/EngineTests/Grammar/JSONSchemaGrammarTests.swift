import Engine
import Testing

/// JSON schemas compiled to grammars: each grammar accepts valid texts (compact and laid out)
/// and refuses invalid ones; unsupported keywords and malformed schemas are refused by name.
@Suite struct JSONSchemaGrammarTests {
    static func grammar(_ schema: String) throws -> Grammar {
        try JSONSchemaGrammar.compile(JSONValue.parse(schema))
    }

    /// Expects `schema`'s grammar to accept every text in `valid` and none in `invalid`.
    static func check(_ schema: String, valid: [String], invalid: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let g = try grammar(schema)
        // Bools, so that a failure prints the text rather than the whole grammar.
        for text in valid {
            let accepted = g.accepts(text)
            #expect(accepted, "should accept \(text)", sourceLocation: sourceLocation)
        }
        for text in invalid {
            let accepted = g.accepts(text)
            #expect(!accepted, "should refuse \(text)", sourceLocation: sourceLocation)
        }
    }

    /// The error compiling `schema` throws (nil when it compiles).
    static func error(_ schema: String) throws -> GrammarError? {
        let value = try JSONValue.parse(schema)
        switch Result(catching: { () throws(GrammarError) in try JSONSchemaGrammar.compile(value) }) {
        case .success: return nil
        case .failure(let e): return e
        }
    }

    // MARK: - Objects

    @Test("required properties must appear, optional ones may, nothing else may")
    func person() throws {
        let schema = """
            {"type":"object","title":"Person","properties":{"name":{"type":"string","description":"full name"},
             "age":{"type":"integer"},"email":{"type":"string"}},"required":["name","age"],"additionalProperties":false}
            """
        try Self.check(schema, valid: [
            #"{"name":"Ann","age":30}"#,
            #"{"name":"Ann","age":30,"email":"a@b.c"}"#,
            #"{ "name": "Ann", "age": -4 }"#,
            "{\n  \"name\": \"Ann\",\n  \"age\": 30,\n  \"email\": \"\"\n}",
            "{\n\t\"name\" : \"Ann\" ,\n\t\"age\" : 0\n}",
        ], invalid: [
            #"{"name":"Ann"}"#,                               // age missing
            #"{"age":30}"#,                                   // name missing
            #"{"name":"Ann","age":30,"extra":1}"#,            // not a listed property
            #"{"name":"Ann","age":"30"}"#,                    // wrong type
            #"{"name":"Ann","age":30.5}"#,                    // not an integer
            #"{"name":null,"age":30}"#,
            #"{"name":"Ann","age":30,}"#,                     // trailing comma
            #"{"name":"Ann","age":30,"email":"x""#,           // unterminated
            #"{"name":"Ann","age":30"#,
            #"{"name":"Ann" "age":30}"#,                      // no comma
            #"{"name":"Ann",,"age":30}"#,
            #" {"name":"Ann","age":30}"#,                     // whitespace before the value
            #"{"name":"Ann","age":30} "#,                     // or after it
            #"{"name":"Ann",  "age":30}"#,                    // two spaces
            "{\"name\":\"Ann\",\n\n\"age\":30}",              // two newlines
            "{\"name\":\"Ann\",\n" + String(repeating: " ", count: 21) + "\"age\":30}",  // indent over 20
            #"[]"#, #""Ann""#, "",
        ])
        // Properties come in the schema's order.
        try Self.check(schema, valid: [], invalid: [#"{"age":30,"name":"Ann"}"#])
    }

    @Test("commas are right whichever optional properties are skipped")
    func optionalCommas() throws {
        let schema = #"{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer"},"c":{"type":"integer"},"d":{"type":"integer"}},"required":["c"]}"#
        try Self.check(schema, valid: [
            #"{"c":3}"#, #"{"a":1,"c":3}"#, #"{"b":2,"c":3}"#, #"{"a":1,"b":2,"c":3}"#, #"{"c":3,"d":4}"#,
            #"{"a":1,"b":2,"c":3,"d":4}"#, #"{"a":1,"c":3,"d":4}"#,
        ], invalid: [
            #"{}"#, #"{"a":1}"#, #"{"a":1,"b":2,"d":4}"#, #"{,"c":3}"#, #"{"a":1,,"c":3}"#, #"{"c":3,}"#,
            #"{"a":1"c":3}"#, #"{"c":3,"a":1}"#, #"{"a":1,"a":1,"c":3}"#,
        ])
        let allOptional = #"{"properties":{"a":{"type":"null"},"b":{"type":"null"},"c":{"type":"null"}}}"#
        try Self.check(allOptional, valid: [
            "{}", "{ }", #"{"a":null}"#, #"{"b":null}"#, #"{"c":null}"#, #"{"a":null,"c":null}"#, #"{"b":null,"c":null}"#,
            #"{"a":null,"b":null,"c":null}"#, "{\n  \"b\": null\n}",
        ], invalid: [#"{,}"#, #"{"a":null,}"#, #"{,"b":null}"#, #"{"a":null "b":null}"#, #"{"d":null}"#, "{  }"])
    }

    @Test("hundreds of optional properties stay within the matcher's stack limit")
    func manyOptional() throws {
        // After a comma every later optional name is a candidate: one stack each (300 here), under
        // the matcher's 512; a comma and space per candidate would need 900 and drop some.
        let properties = (0..<300).map { "\"p\($0)\":{\"type\":\"integer\"}" }.joined(separator: ",")
        try Self.check("{\"type\":\"object\",\"properties\":{\(properties)}}", valid: [
            "{}", #"{"p0":1}"#, #"{"p299":1}"#, #"{"p0":1,"p299":2}"#, "{\"p5\":1, \"p150\":2,\n \"p298\":3}",
        ], invalid: [#"{"p300":1}"#, #"{"p2":1,"p1":2}"#, #"{"p1":1,}"#])
    }

    @Test("nested objects and arrays of objects")
    func nested() throws {
        let schema = """
            {"type":"object","properties":{
              "id":{"type":"integer"},
              "address":{"type":"object","properties":{"street":{"type":"string"},"city":{"type":"string"},"zip":{"type":"string"}},
                         "required":["street","city"],"additionalProperties":false},
              "tags":{"type":"array","items":{"type":"string"}},
              "orders":{"type":"array","minItems":1,"items":{"type":"object","properties":{"sku":{"type":"string"},"qty":{"type":"integer"}},"required":["sku","qty"]}}},
             "required":["id","address","orders"]}
            """
        try Self.check(schema, valid: [
            #"{"id":1,"address":{"street":"Main","city":"X"},"orders":[{"sku":"a","qty":2}]}"#,
            #"{"id":1,"address":{"street":"Main","city":"X","zip":"123"},"tags":[],"orders":[{"sku":"a","qty":2},{"sku":"b","qty":1}]}"#,
            """
            {
              "id": 7,
              "address": {
                "street": "Main",
                "city": "X"
              },
              "tags": [ "a", "b" ],
              "orders": [
                { "sku": "a", "qty": 2 }
              ]
            }
            """,
        ], invalid: [
            #"{"id":1,"address":{"street":"Main"},"orders":[{"sku":"a","qty":2}]}"#,            // city missing
            #"{"id":1,"address":{"street":"Main","city":"X"},"orders":[]}"#,                   // minItems 1
            #"{"id":1,"address":{"street":"Main","city":"X"},"orders":[{"sku":"a"}]}"#,        // qty missing
            #"{"id":1,"address":{"street":"Main","city":"X","country":"Y"},"orders":[{"sku":"a","qty":2}]}"#,
            #"{"id":1,"address":{"street":"Main","city":"X"},"tags":[1],"orders":[{"sku":"a","qty":2}]}"#,
        ])
    }

    @Test("additionalProperties: a schema for any names when no properties are listed; required names not listed must appear")
    func additionalProperties() throws {
        try Self.check(#"{"type":"object","additionalProperties":{"type":"integer"}}"#,
                       valid: ["{}", #"{"a":1}"#, #"{"a":1, "b":-2}"#, #"{"a":1,"a":2}"#],
                       invalid: [#"{"a":"x"}"#, #"{"a":1,}"#, #"{a:1}"#])
        try Self.check(#"{"type":"object","additionalProperties":false}"#, valid: ["{}", "{ }"], invalid: [#"{"a":1}"#])
        try Self.check(#"{"type":"object"}"#, valid: ["{}", #"{"a":[1,{"b":null}]}"#], invalid: ["[]", "null"])
        try Self.check(#"{"type":"object","properties":{"a":{"type":"integer"}},"required":["b"],"additionalProperties":{"type":"boolean"}}"#,
                       valid: [#"{"b":true}"#, #"{"a":1,"b":false}"#], invalid: ["{}", #"{"a":1}"#, #"{"b":1}"#])
        try Self.check(#"{"properties":{"a":{"type":"integer"},"gone":false}}"#,
                       valid: ["{}", #"{"a":1}"#], invalid: [#"{"gone":1}"#, #"{"a":1,"gone":1}"#])
    }

    // MARK: - Arrays

    @Test("minItems and maxItems bound the count")
    func arrays() throws {
        try Self.check(#"{"type":"array","items":{"type":"integer"},"minItems":2,"maxItems":4}"#, valid: [
            "[1,2]", "[1, 2, 3]", "[1,2,3,4]", "[ 1 , 2 ]", "[\n  1,\n  2\n]",
        ], invalid: ["[]", "[1]", "[1,2,3,4,5]", "[1,2,]", "[,1,2]", "[\"a\",\"b\"]", "[1,2", "[1 2]"])
        try Self.check(#"{"type":"array","maxItems":2}"#, valid: ["[]", "[null]", "[1,\"a\"]", "[[],{}]"], invalid: ["[1,2,3]"])
        try Self.check(#"{"type":"array","maxItems":0}"#, valid: ["[]", "[ ]"], invalid: ["[1]"])
        try Self.check(#"{"type":"array","items":false}"#, valid: ["[]"], invalid: ["[1]"])
        try Self.check(#"{"type":"array","minItems":3}"#, valid: ["[1,2,3]", "[1,2,3,4,5,6,7]"], invalid: ["[1,2]"])
        try Self.check(#"{"type":"array"}"#, valid: ["[]", "[1,[2,[3]]]"], invalid: ["[1,]"])
    }

    // MARK: - Literals and alternatives

    @Test("enum and const allow exactly their values (as compact JSON), filtered by type")
    func enums() throws {
        try Self.check(#"{"enum":["red","green",1,2.5,null,true,{"a":[1]},"say \"hi\""]}"#, valid: [
            #""red""#, #""green""#, "1", "2.5", "null", "true", #"{"a":[1]}"#, #""say \"hi\"""#,
        ], invalid: [#""blue""#, "2", "false", #""Red""#, #""red" "#, "2.50"])
        try Self.check(#"{"type":"string","enum":["a",1,"b"]}"#, valid: [#""a""#, #""b""#], invalid: ["1"])
        try Self.check(#"{"type":"integer","enum":[1,1.5,2.0]}"#, valid: ["1", "2.0"], invalid: ["1.5"])
        try Self.check(#"{"const":"fixed"}"#, valid: [#""fixed""#], invalid: [#""other""#])
        try Self.check(#"{"type":"object","properties":{"kind":{"const":"circle"},"r":{"type":"number"}},"required":["kind","r"]}"#,
                       valid: [#"{"kind":"circle","r":1.5}"#], invalid: [#"{"kind":"square","r":1.5}"#])
    }

    @Test("anyOf allows any alternative; type arrays allow any of the types")
    func alternatives() throws {
        try Self.check(#"{"anyOf":[{"type":"string","maxLength":3},{"type":"integer"},{"type":"null"}]}"#,
                       valid: [#""abc""#, #""""#, "12", "-3", "null"], invalid: [#""abcd""#, "1.5", "true", "[]"])
        try Self.check(#"{"anyOf":[{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]},{"type":"object","properties":{"b":{"type":"string"}},"required":["b"]}]}"#,
                       valid: [#"{"a":1}"#, #"{"b":"x"}"#], invalid: [#"{"a":"x"}"#, "{}"])
        try Self.check(#"{"type":["string","null"]}"#, valid: [#""x""#, "null"], invalid: ["1", "false"])
        try Self.check(#"{"type":["integer","number"]}"#, valid: ["1", "1.5", "-2e3"], invalid: [#""1""#])
        try Self.check(#"{"type":["array","boolean"],"items":{"type":"boolean"},"maxItems":1}"#,
                       valid: ["true", "[]", "[false]"], invalid: ["[true,true]", "null"])
    }

    // MARK: - References

    @Test("$ref to $defs, including a recursive tree")
    func recursiveTree() throws {
        let schema = """
            {"$defs":{"node":{"type":"object","properties":{"value":{"type":"integer"},
              "children":{"type":"array","items":{"$ref":"#/$defs/node"}}},"required":["value","children"],"additionalProperties":false}},
             "$ref":"#/$defs/node"}
            """
        try Self.check(schema, valid: [
            #"{"value":1,"children":[]}"#,
            #"{"value":1,"children":[{"value":2,"children":[]},{"value":3,"children":[{"value":4,"children":[]}]}]}"#,
            "{\n  \"value\": 1,\n  \"children\": [\n    { \"value\": 2, \"children\": [] }\n  ]\n}",
        ], invalid: [
            #"{"value":1}"#,
            #"{"value":1,"children":[{"value":2}]}"#,
            #"{"value":1,"children":[{"value":2,"children":[{"value":"x","children":[]}]}]}"#,
        ])
    }

    @Test("$ref through definitions, to the root, and in anyOf")
    func references() throws {
        try Self.check("""
            {"definitions":{"id":{"type":"integer"},"ids":{"type":"array","items":{"$ref":"#/definitions/id"}}},
             "type":"object","properties":{"one":{"$ref":"#/definitions/id"},"many":{"$ref":"#/definitions/ids"}},"required":["one","many"]}
            """, valid: [#"{"one":1,"many":[2,3]}"#], invalid: [#"{"one":"1","many":[]}"#, #"{"one":1,"many":["x"]}"#])
        try Self.check(##"{"type":"object","properties":{"next":{"anyOf":[{"$ref":"#"},{"type":"null"}]}},"required":["next"]}"##,
                       valid: [#"{"next":null}"#, #"{"next":{"next":{"next":null}}}"#], invalid: [#"{"next":{}}"#])
        #expect(try Self.error(##"{"$defs":{"a":{"$ref":"#/$defs/a"}},"$ref":"#/$defs/a"}"##) != nil)  // a loop, refused
    }

    // MARK: - Strings, numbers, whitespace

    @Test("minLength and maxLength count string characters (an escape is one)")
    func stringLengths() throws {
        try Self.check(#"{"type":"string","minLength":2,"maxLength":4}"#, valid: [
            #""ab""#, #""abcd""#, #""a\nb""#, #""é日""#, #""\u00e9\"""#, #""🦙🦙🦙""#,
        ], invalid: [#""""#, #""a""#, #""abcde""#, #""\u00e9""#, #""ab"#])
        try Self.check(#"{"minLength":3}"#, valid: [#""abc""#, #""abcdefghij""#], invalid: [#""ab""#, "123"])
        try Self.check(#"{"type":"string","maxLength":0}"#, valid: [#""""#], invalid: [#""a""#])
    }

    @Test("strings: JSON escapes only, no raw control characters")
    func strings() throws {
        try Self.check(#"{"type":"string"}"#, valid: [
            #""""#, #""a\"b""#, #""\\ \/ \b \f \n \r \t""#, #""\u00e9\uD83E\uDD99""#, #""日本 🦙""#, "\"\u{7F}\"",
        ], invalid: ["\"a\nb\"", "\"\t\"", #""\x""#, #""\u12""#, #""\u12g4""#, #""abc"#, #"abc""#, "'a'", #""a""b""#])
    }

    @Test("numbers: JSON syntax with at most 16 integer, 16 fraction and 3 exponent digits")
    func numbers() throws {
        try Self.check(#"{"type":"number"}"#, valid: [
            "0", "-0", "1.5", "-12.25e+10", "1E5", "1e-300", "1234567890123456", "0.1234567890123456",
        ], invalid: ["01", "1.", ".5", "+1", "1e", "1e1234", "12345678901234567", "0.12345678901234567", "NaN", "- 1", "1 "])
        try Self.check(#"{"type":"integer"}"#, valid: ["0", "-7", "1234567890123456"],
                       invalid: ["1.0", "1e3", "-", "00", "12345678901234567", "\"1\""])
        try Self.check(#"{"type":"boolean"}"#, valid: ["true", "false"], invalid: ["True", "1", "null"])
        try Self.check(#"{"type":"null"}"#, valid: ["null"], invalid: ["nul", "nulll", "None"])
    }

    @Test("any value: the empty schema and true; any object: json_object")
    func anyValue() throws {
        for schema in ["{}", "true", #"{"title":"anything","description":"x"}"#] {
            try Self.check(schema, valid: ["1", "[1,{\"a\":null}]", #""s""#, "{\n  \"a\": [ true ]\n}", "null"],
                           invalid: ["", "[1,]", "{\"a\"}", "undefined"])
        }
        let object = JSONSchemaGrammar.anyObject()
        let valid = ["{}", "{ }", #"{"a": [1, 2, {"b": null}]}"#, "{\n\t\"a\": 1,\n\t\"b\": \"x\"\n}", #"{"a":{"b":{"c":[[]]}}}"#]
        let invalid = ["[]", #""x""#, "1", " {}", "{} ", "{  }", "{\n\n}", #"{"a":1,}"#, #"{"a" 1}"#, "{"]
        #expect(valid.filter { !object.accepts($0) } == [])
        #expect(invalid.filter { object.accepts($0) } == [])
    }

    @Test("addValue embeds schemas in a larger grammar sharing the lexical rules")
    func embedding() throws {
        var b = GrammarBuilder()
        let get = try JSONSchemaGrammar.addValue(JSONValue.parse(#"{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"#), to: &b, name: "get")
        let add = try JSONSchemaGrammar.addValue(JSONValue.parse(#"{"type":"array","items":{"type":"integer"},"maxItems":2}"#), to: &b, name: "add")
        let root = b.rule("call")
        b.define(root, [[.literal("get("), .rule(get), .literal(")")], [.literal("add("), .rule(add), .literal(")")]])
        let g = try b.build(root: root)
        #expect([#"get({"city":"Paris"})"#, "add([1, 2])"].filter { !g.accepts($0) } == [])
        #expect(["get([1])", "add([1,2,3])", #"add({"city":"Paris"})"#].filter { g.accepts($0) } == [])
        #expect(g.names.filter { $0 == "json-string" }.count == 1)
        // A refused schema leaves the builder as it was.
        let bad = try JSONValue.parse(#"{"type":"object","properties":{"a":{"type":"string","pattern":"x"}}}"#)
        #expect(throws: GrammarError.self) { try JSONSchemaGrammar.addValue(bad, to: &b, name: "bad") }
        #expect(try b.build(root: root) == g)
    }

    // MARK: - Refusals

    @Test("every keyword that is not enforced is refused by name")
    func unsupportedKeywords() throws {
        let keywords: [(String, String)] = [
            ("pattern", #""^a""#), ("format", #""date-time""#), ("minimum", "0"), ("maximum", "1"), ("exclusiveMinimum", "0"),
            ("exclusiveMaximum", "1"), ("multipleOf", "2"), ("uniqueItems", "true"), ("patternProperties", "{}"),
            ("if", "{}"), ("then", "{}"), ("else", "{}"), ("not", "{}"), ("allOf", "[{}]"), ("oneOf", "[{}]"), ("contains", "{}"),
            ("dependentRequired", "{}"), ("propertyNames", "{}"), ("minProperties", "1"), ("maxProperties", "1"),
            ("prefixItems", "[{}]"), ("unevaluatedProperties", "false"), ("nullable", "true"), ("$anchor", #""a""#),
        ]
        for (keyword, value) in keywords {
            let top = try Self.error("{\"type\":\"string\",\"\(keyword)\":\(value)}")
            let nested = try Self.error("{\"type\":\"object\",\"properties\":{\"a\":{\"items\":{\"\(keyword)\":\(value)}}}}")
            for error in [top, nested] {
                guard case .unsupportedSchema(let k, let why)? = error else {
                    Issue.record("\(keyword): expected unsupportedSchema, got \(String(describing: error))")
                    continue
                }
                #expect(k == keyword && !why.isEmpty)
            }
        }
        #expect(try Self.error(#"{"type":"array","items":[{"type":"string"}]}"#).map(Self.keyword) == "items")
        #expect(try Self.error(#"{"$ref":"other.json#/a"}"#).map(Self.keyword) == "$ref")
        #expect(try Self.error(#"{"anyOf":[{}],"type":"string"}"#).map(Self.keyword) == "type")
        #expect(try Self.error(#"{"enum":[1],"minLength":1}"#).map(Self.keyword) == "minLength")
        let message = try Self.error(#"{"type":"string","pattern":"^a"}"#)?.description ?? ""
        #expect(message.contains("'pattern'") && message.contains("regular expressions"))
    }

    static func keyword(_ e: GrammarError) -> String? {
        if case .unsupportedSchema(let k, _) = e { return k }
        return nil
    }

    @Test("malformed schemas are refused with a message naming the problem")
    func invalidSchemas() throws {
        let cases: [(String, String)] = [
            (#"{"type":5}"#, "'type' at #"),
            (#"{"type":"str"}"#, "'type' at #"),
            (#"{"type":[]}"#, "empty array"),
            (#"{"type":"object","required":"a"}"#, "'required' at #"),
            (#"{"type":"object","required":[1]}"#, "'required' at #"),
            (#"{"type":"object","properties":{"a":{}},"required":["b"],"additionalProperties":false}"#, "names 'b'"),
            (#"{"type":"object","properties":[]}"#, "'properties'"),
            (#"{"type":"object","properties":{"a":{},"a":{}}}"#, "twice"),
            (#"{"type":"object","additionalProperties":1}"#, "'additionalProperties'"),
            (##"{"$ref":"#/$defs/missing"}"##, "points to nothing"),
            (#"{"$ref":5}"#, "'$ref'"),
            (#"{"type":"array","minItems":3,"maxItems":2}"#, "greater than"),
            (#"{"type":"string","minLength":-1}"#, "non-negative integer"),
            (#"{"type":"string","maxLength":1.5}"#, "non-negative integer"),
            (#"{"enum":[]}"#, "allows no value"),
            (#"{"enum":"a"}"#, "must be an array"),
            (#"{"type":"string","enum":[1]}"#, "allows no value"),
            (#"{"anyOf":[]}"#, "'anyOf'"),
            (#"{"type":"object","properties":{"a":{"type":"array","items":{"properties":{"b":5}}}}}"#, "#/properties/a/items/properties/b"),
            ("false", "false"),
            ("5", "must be an object or a boolean"),
        ]
        for (schema, fragment) in cases {
            let error = try Self.error(schema)
            guard case .invalidSchema(let why)? = error else {
                Issue.record("\(schema): expected invalidSchema, got \(String(describing: error))")
                continue
            }
            #expect(why.contains(fragment), "\(schema): \(why)")
        }
    }

    @Test("bounds and nesting too large for a grammar are refused, not built")
    func limits() throws {
        guard case .tooLarge? = try Self.error(#"{"type":"array","maxItems":100000}"#) else { Issue.record("maxItems"); return }
        guard case .tooLarge? = try Self.error(#"{"type":"string","maxLength":1e30}"#) else { Issue.record("maxLength"); return }
        var deep = JSONValue.object([JSONMember(key: "type", value: .string("integer"))])
        for _ in 0..<100 { deep = .object([JSONMember(key: "items", value: deep)]) }
        guard case .tooLarge? = Result(catching: { () throws(GrammarError) in try JSONSchemaGrammar.compile(deep) }).failure else {
            Issue.record("depth"); return
        }
        // Many large bounds together exceed the budget.
        let many = (0..<20).map { "\"p\($0)\":{\"type\":\"string\",\"maxLength\":4096}" }.joined(separator: ",")
        guard case .tooLarge? = try Self.error("{\"properties\":{\(many)}}") else { Issue.record("budget"); return }
        // The largest single bound builds and matches.
        try Self.check(#"{"type":"string","maxLength":4096}"#, valid: ["\"" + String(repeating: "a", count: 4096) + "\""],
                       invalid: ["\"" + String(repeating: "a", count: 4097) + "\""])
    }
}

extension Result {
    fileprivate var failure: Failure? {
        if case .failure(let e) = self { return e }
        return nil
    }
}
