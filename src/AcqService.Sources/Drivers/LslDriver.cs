using AcqService.Core.Pipeline;
using AcqService.Sources.Lsl;
using AcqService.Sources.Profiles;

namespace AcqService.Sources.Drivers;

/// <summary>
/// <c>lsl</c>: a stream received through an LSL inlet, chosen by an XPath predicate. Channels, rate and source_id
/// come from the stream itself and are checked against the profile when the session starts.
/// </summary>
public sealed class LslDriver : SourceDriver
{
    /// <summary>The driver name.</summary>
    public const string Name = "lsl";

    private static readonly string[] s_fields = ["predicate", "resolveTimeoutSeconds", "onMismatch", "sourceId", "hostname", "choose"];

    /// <inheritdoc />
    public override IReadOnlyList<string> Names { get; } = [Name];

    /// <inheritdoc />
    public override string Description => "an LSL stream (amplifier, marker program, another computer) chosen by predicate";

    /// <inheritdoc />
    public override bool UsesLsl => true;

    /// <inheritdoc />
    public override bool DescribesChannels => true;

    /// <inheritdoc />
    public override IEnumerable<string> Validate(StreamProfile stream, string path)
    {
        foreach (string problem in RejectForeignFields(stream, path, s_fields))
        {
            yield return problem;
        }
        if (string.IsNullOrWhiteSpace(stream.Source.Predicate))
        {
            yield return $"{path}.source.predicate: the lsl driver needs a predicate such as \"type='EEG'\"";
        }
        if (stream.Source.OnMismatch is not (null or "error" or "warn"))
        {
            yield return $"{path}.source.onMismatch: '{stream.Source.OnMismatch}' must be 'error' or 'warn'";
        }
        if (stream.Source.ResolveTimeoutSeconds is double t && !(t > 0 && t <= 3600))
        {
            yield return $"{path}.source.resolveTimeoutSeconds: must be in (0, 3600] seconds (was {t})";
        }
        if (stream.Source.Choose is not (null or "only" or "newest"))
        {
            yield return $"{path}.source.choose: '{stream.Source.Choose}' must be 'only' or 'newest'";
        }
        foreach ((string field, string? value) in new[] { ("sourceId", stream.Source.SourceId), ("hostname", stream.Source.Hostname) })
        {
            if (value is not null && (value.Trim().Length == 0 || (value.Contains('\'') && value.Contains('"'))))
            {
                // Both quote kinds cannot be written as one XPath literal.
                yield return $"{path}.source.{field}: '{value}' must be non-empty and not contain both ' and \"";
            }
        }
    }

    /// <inheritdoc />
    public override async Task<IReadOnlyList<ISource>> CreateAsync(IReadOnlyList<StreamProfile> streams, SourceContext context, CancellationToken cancellationToken)
    {
        if (context.Lsl is null)
        {
            throw new NotSupportedException($"stream '{streams[0].Key}': driver 'lsl' needs an LSL backend (configuration section 'Lsl')");
        }
        // Resolved in parallel, each within its own timeout: the descriptors (channels, rate, source_id) come from the
        // streams and must be known before the session registers them.
        Task<ISource>[] connecting = [.. streams.Select(async s => s.Kind == "signal"
            ? (ISource)await LslSignalSource.ConnectAsync(s, context.Lsl, context.Logger, cancellationToken).ConfigureAwait(false)
            : await LslMarkerSource.ConnectAsync(s, context.Lsl, context.Logger, cancellationToken).ConfigureAwait(false))];
        try
        {
            await Task.WhenAll(connecting).ConfigureAwait(false);
        }
        catch
        {
            // Close the inlets that did connect, then report every stream that failed, not just the first.
            foreach (Task<ISource> task in connecting.Where(t => t.IsCompletedSuccessfully))
            {
                (task.Result as IDisposable)?.Dispose();
            }
            Exception[] failures = [.. connecting.Where(t => t.IsFaulted).SelectMany(t => t.Exception!.InnerExceptions)];
            if (failures.Length == 0)
            {
                throw;
            }
            if (failures.Length == 1 || failures.Any(f => f is not LslSourceException))
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failures.FirstOrDefault(f => f is not LslSourceException) ?? failures[0]);
            }
            // Every not-found message carries the same discovery hints; say them once.
            var seen = new HashSet<string>(StringComparer.Ordinal);
            string combined = string.Join("\n", failures.SelectMany(f => f.Message.Split('\n')).Where(line => !line.StartsWith("  ", StringComparison.Ordinal) || seen.Add(line)));
            throw new LslSourceException(combined, failures[0]);
        }
        return [.. connecting.Select(t => t.Result)];
    }
}
