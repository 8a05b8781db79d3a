using System.Text.Json;
using AcqService.Host.Cli;
using AcqService.Sessions.Protocols;

namespace AcqService.Host.Commands;

/// <summary>
/// <c>acq protocol lock PROTOCOL.json</c> fixes a study's analysis before the first participant (a lock file with
/// the protocol's SHA-256, plus a blinding key when the protocol blinds real/sham); <c>acq protocol unblind
/// SESSION_DIR --key KEYFILE</c> writes unblinded copies of a blinded session's result files.
/// </summary>
internal sealed class ProtocolCommand : ICommand
{
    public string Name => "protocol";

    public string Summary => "Lock a study protocol (analysis settings, conditions, regions, blinding) or unblind a session.";

    public string Usage => "./acq protocol lock PROTOCOL.json [--out LOCK.json] [--key KEY.json] [--force] | ./acq protocol unblind SESSION_DIR --key KEY.json [--out DIR]";

    public IReadOnlyList<OptionSpec> Options { get; } =
    [
        new("out", "PATH", "lock: the lock file (default PROTOCOL.lock.json); unblind: folder for the unblinded copies (default SESSION_DIR/unblinded)"),
        new("key", "FILE", "lock: where the blinding key goes (default PROTOCOL.key.json); unblind: the key"),
        new("force", null, "lock: replace an existing lock or key file"),
    ];

    public bool AcceptsSettings => false;

    public Task<int> RunAsync(ParsedArguments arguments, CancellationToken cancellationToken)
    {
        if (arguments.Positionals.Count != 2 || arguments.Positionals[0] is not ("lock" or "unblind"))
        {
            throw new UsageException("usage: " + Usage);
        }
        return Task.FromResult(arguments.Positionals[0] == "lock" ? Lock(arguments) : Unblind(arguments));
    }

    private int Lock(ParsedArguments arguments)
    {
        string protocolPath = Path.GetFullPath(arguments.Positionals[1]);
        if (!File.Exists(protocolPath))
        {
            Console.Error.WriteLine($"acq {Name}: '{arguments.Positionals[1]}' does not exist");
            return ExitCodes.Usage;
        }
        string stem = Path.Combine(Path.GetDirectoryName(protocolPath)!, Path.GetFileNameWithoutExtension(protocolPath));
        string lockPath = Path.GetFullPath(arguments.Value("out") ?? stem + ".lock.json");
        string keyPath = Path.GetFullPath(arguments.Value("key") ?? stem + ".key.json");
        ProtocolLock locked;
        Blinding? key;
        try
        {
            (locked, key) = ProtocolLock.Lock(File.ReadAllText(protocolPath));
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine($"acq {Name}: {arguments.Positionals[1]}: {ex.Message}");
            return ExitCodes.Usage;
        }
        foreach (string path in key is null ? [lockPath] : (string[])[lockPath, keyPath])
        {
            if (File.Exists(path) && !arguments.Flag("force"))
            {
                Console.Error.WriteLine($"acq {Name}: '{path}' exists; use --force to replace it (a study's lock should not change once sessions ran under it)");
                return ExitCodes.Usage;
            }
        }
        File.WriteAllText(lockPath, locked.ToFileText());
        Console.Out.WriteLine($"protocol '{locked.Name}' locked: sha256 {locked.Sha256} -> {lockPath}");
        if (key is not null)
        {
            File.WriteAllText(keyPath, key.ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
            Console.Out.WriteLine($"blinding key ({string.Join(", ", locked.BlindingCodes)}) -> {keyPath}: keep it away from the analysts and outside the session folders;");
            Console.Out.WriteLine($"  sessions need it: --Session:ProtocolLock={lockPath} --Session:BlindingKey={keyPath}");
        }
        else
        {
            Console.Out.WriteLine($"  run sessions with --Session:ProtocolLock={lockPath}");
        }
        return ExitCodes.Ok;
    }

    private int Unblind(ParsedArguments arguments)
    {
        string session = Path.GetFullPath(arguments.Positionals[1]);
        string keyPath = arguments.Value("key") ?? throw new UsageException("--key KEY.json is required for unblind");
        if (!Directory.Exists(session))
        {
            Console.Error.WriteLine($"acq {Name}: session folder '{arguments.Positionals[1]}' does not exist");
            return ExitCodes.Usage;
        }
        Blinding key;
        try
        {
            key = Blinding.Read(keyPath);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException)
        {
            Console.Error.WriteLine($"acq {Name}: {ex.Message}");
            return ExitCodes.Usage;
        }
        string metadata = Path.Combine(session, "session.json");
        string marker = $"blinded (conditions shown as {string.Join("/", key.Codes)})";
        if (!File.Exists(metadata) || !File.ReadAllText(metadata).Contains(marker, StringComparison.Ordinal))
        {
            Console.Error.WriteLine($"acq {Name}: '{arguments.Positionals[1]}' is not a session blinded with this key's codes ({string.Join("/", key.Codes)})");
            return ExitCodes.Usage;
        }
        string output = Path.GetFullPath(arguments.Value("out") ?? Path.Combine(session, "unblinded"));
        Directory.CreateDirectory(output);
        int files = 0;
        foreach (string file in Directory.GetFiles(session).Where(f => Path.GetExtension(f) is ".json" or ".csv" or ".txt").Order(StringComparer.Ordinal))
        {
            File.WriteAllText(Path.Combine(output, Path.GetFileName(file)), key.Unblind(File.ReadAllText(file)));
            files++;
        }
        Console.Out.WriteLine($"{files} result file(s) unblinded ({string.Join(", ", key.Map.Select(kv => $"{kv.Value} = {kv.Key}"))}) -> {output}; the blinded originals and the recording are unchanged");
        return ExitCodes.Ok;
    }
}
