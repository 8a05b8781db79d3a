using System.Text.Json.Nodes;

namespace AcqService.Sessions.Tests;

/// <summary>Inputs whose canonical text and lock files were recorded before the JSON contracts became compile-time ones.</summary>
internal static class GoldenInputs
{
    /// <summary>Protocol documents: one with every section and unusual values, one blinded, one with nothing but defaults.</summary>
    public static readonly (string Name, string Json)[] Protocols =
    [
        ("full", """
        {
          // comments and trailing commas are allowed in protocol documents
          "name": "st36 µ→ \"trial\" <&> 'x' +`",
          "description": "ignored by the lock",
          "settings": {
            "epochs": { "tminSeconds": -0.25, "tmaxSeconds": 1.0, "baselineStartSeconds": null, "streams": ["eeg", "ÆØÅ"], "filter": { "notchHz": 60, "highPassHz": 0.30000000000000004, "order": 4 } },
            "ALPHA": { "window": "Hamming", "detrend": "linear", "regions": { "posterior": ["O1", "O2", "Pz"], "zé": [] }, "bandLowHz": 7.5 },
            "Aligner": { "maxLagSeconds": 1e-7, "historySeconds": 120.0 },
            "Haemoglobin": { "convention": "ModifiedBeerLambert", "lowPassHz": null, "shortPairs": { "S1-D1": "S1-D8" }, "pathlengthFactor1": 6.0 },
            "Haemodynamic": { "tminSeconds": -2 },
          },
          "conditions": [ { "name": "real", "match": "^needle/real/" }, { "name": "sham \u00e9\t", "match": "sham|placebo" } ],
          "regions": { "b": ["Cz"], "a": ["Fz", "F3"], "B": [], "\u00e9": ["P\u00e9"] },
        }
        """),
        ("blinded", """
        { "name": "blinded", "conditions": [ { "name": "real", "match": "^real" }, { "name": "sham", "match": "^sham" } ], "regions": {}, "blinding": { "real": "A", "sham": "B" } }
        """),
        ("defaults", """{ "name": "d", "conditions": [], "regions": {} }"""),
    ];

    /// <summary>A document with awkward strings and numbers for <c>CanonicalJson.Write</c> on parsed values.</summary>
    public const string Canonical = """
        {"z":1,"a":[150.0,150,-0.0,1e300,9007199254740993,0.1,-2.5e-8,123456789012345678901234567890,true,false,null],
         "\u00e9":"\u0000\t\n\"\\/<>&'+`\u00e9\u2028\ud83d\ude00","A":{"y":{},"x":[]},"Z":"plain","aa":"\u007f"}
        """;

    /// <summary>The same kinds of values built in code (not parsed), as the lock builds some of its values.</summary>
    public static JsonNode Built() => new JsonObject
    {
        ["s"] = "µ→<>&'\"",
        ["d"] = 0.1 + 0.2,
        ["l"] = 9007199254740993L,
        ["i"] = 150,
        ["f"] = 1.5f,
        ["m"] = 1.25m,
        ["b"] = true,
        ["n"] = null,
        ["arr"] = new JsonArray("x", 2, 3.5),
    };
}
