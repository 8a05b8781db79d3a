namespace AcqService.Xdf;

/// <summary>Rewrites everything readable from a damaged XDF file into a clean file with correct footers.</summary>
/// <remarks>
/// Streams through the input once (memory bounded by the largest chunk). The original FileHeader and StreamHeader XML
/// are kept verbatim; samples, clock offsets and boundaries are rewritten; footers are regenerated from what was
/// actually recovered. int64 values pass through <see cref="double"/>, so magnitudes above 2^53 lose precision.
/// Timestamps that were omitted right after a lost chunk are deduced from the last recovered sample, as any XDF reader would.
/// </remarks>
public static class XdfRepair
{
    /// <summary>Repairs <paramref name="inputPath"/> into <paramref name="outputPath"/>.</summary>
    /// <param name="inputPath">The damaged file.</param>
    /// <param name="outputPath">Where to write the clean copy (must differ from the input).</param>
    /// <param name="options">Reader options; null for defaults.</param>
    /// <returns>What was recovered and what was wrong.</returns>
    /// <exception cref="XdfFormatException">The input is not XDF at all.</exception>
    public static XdfRepairReport Repair(string inputPath, string outputPath, XdfReaderOptions? options = null)
    {
        if (string.Equals(Path.GetFullPath(inputPath), Path.GetFullPath(outputPath), StringComparison.Ordinal))
        {
            throw new ArgumentException("Output must differ from input.", nameof(outputPath));
        }

        using var reader = XdfReader.Open(inputPath, options);
        var samples = new Dictionary<uint, long>();
        var streams = new List<XdfStreamHeader>();
        long offsets = 0, boundaries = 0;
        var footers = 0;
        XdfWriter? writer = null;
        var output = new FileStream(outputPath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        try
        {
            while (reader.TryReadChunk(out var chunk))
            {
                if (chunk is XdfFileHeaderChunk header)
                {
                    writer ??= new XdfWriter(output, new XdfWriterOptions { FileHeaderXml = header.Xml }, leaveOpen: true);
                    continue;
                }

                // A file whose header chunk was lost still gets a fresh header.
                writer ??= new XdfWriter(output, leaveOpen: true);
                switch (chunk)
                {
                    case XdfStreamHeaderChunk h when !samples.ContainsKey(h.StreamId):
                        writer.AddStream(h.StreamId, h.Header.Xml, h.Header.ChannelFormat, h.Header.ChannelCount, h.Header.NominalSrate);
                        samples[h.StreamId] = 0;
                        streams.Add(h.Header);
                        break;
                    case XdfSamplesChunk s when samples.ContainsKey(s.StreamId):
                        if (s.NumericValues is not null)
                        {
                            writer.WriteSamples(s.StreamId, s.Timestamps, s.NumericValues.AsSpan());
                        }
                        else
                        {
                            writer.WriteSamples(s.StreamId, s.Timestamps, s.StringValues.AsSpan());
                        }

                        samples[s.StreamId] += s.SampleCount;
                        break;
                    case XdfClockOffsetChunk o when samples.ContainsKey(o.StreamId):
                        writer.WriteClockOffset(o.StreamId, o.CollectionTime, o.OffsetValue);
                        offsets++;
                        break;
                    case XdfBoundaryChunk:
                        writer.WriteBoundary();
                        boundaries++;
                        break;
                    case XdfStreamFooterChunk:
                        footers++;
                        break;
                }
            }

            writer ??= new XdfWriter(output, leaveOpen: true);
            writer.Complete();
        }
        finally
        {
            writer?.Dispose();
            output.Dispose();
        }

        return new XdfRepairReport
        {
            Streams = streams,
            SamplesPerStream = samples,
            ClockOffsetCount = offsets,
            BoundaryCount = boundaries,
            InputFooterCount = footers,
            Diagnostics = [.. reader.Diagnostics],
        };
    }
}
