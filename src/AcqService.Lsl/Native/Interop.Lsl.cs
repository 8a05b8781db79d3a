using AcqService.Core.Model;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace AcqService.Lsl.Native;

/// <summary>
/// P/Invoke declarations for liblsl's C API (see docs/lsl-protocol.md §8). Layout follows the dotnet/runtime
/// interop guidelines: one library-name constant, raw entry points named exactly like the C functions, and
/// handle-owning objects passed as <see cref="SafeHandle"/>s so a concurrent Dispose cannot free a handle that a
/// blocking native call is still using (the marshaller AddRefs the handle for the duration of the call).
/// </summary>
/// <remarks>
/// Every <c>const char*</c> returned by liblsl is declared as <see cref="nint"/>, never as <see cref="string"/>:
/// the source generator would free a returned string with the CoTaskMem allocator, which is wrong both for the
/// borrowed pointers (<c>lsl_get_name</c>, <c>lsl_last_error</c>, <c>lsl_library_info</c>) and for the malloc'ed
/// ones that must go back through <c>lsl_destroy_string</c> (a different CRT on Windows).
/// Calls are only made after <see cref="LslLibraryLoader"/> has loaded and vetted the library.
/// </remarks>
internal static partial class Interop
{
    internal static partial class Lsl
    {
        /// <summary>The one library name all imports use; <see cref="LslLibraryLoader"/> maps it to the file it loaded.</summary>
        internal const string LibraryName = "lsl";

        internal const int NoError = 0;
        internal const int TimeoutError = -1;
        internal const int LostError = -2;
        internal const int ArgumentError = -3;
        internal const int InternalError = -4;

        /// <summary><c>lsl_library_version()</c> of the oldest liblsl this binding accepts (1.16: stable C API incl. <c>_buftnp</c>).</summary>
        internal const int MinimumLibraryVersion = 116;

        /// <summary>Protocol 1.10 is what <see cref="LslStreamInfo"/> and the managed backend speak.</summary>
        internal const int MinimumProtocolVersion = 110;

        // ---- misc -------------------------------------------------------------------------------------

        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial int lsl_protocol_version();

        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial int lsl_library_version();

        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial double lsl_local_clock();

        /// <summary>Thread-local buffer owned by liblsl; copy immediately on the calling thread.</summary>
        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial nint lsl_last_error();

        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial void lsl_destroy_string(nint s);

        // ---- stream info ------------------------------------------------------------------------------

        [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial LslStreamInfoHandle lsl_create_streaminfo(string name, string type, int channelCount,
            double nominalSrate, ChannelFormat channelFormat, string sourceId);

        /// <summary>Raw pointer on purpose: called from <see cref="LslStreamInfoHandle.ReleaseHandle"/>.</summary>
        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial void lsl_destroy_streaminfo(nint info);

        [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial LslStreamInfoHandle lsl_streaminfo_from_xml(string xml);

        /// <summary>Returns malloc'ed memory: free with <see cref="lsl_destroy_string"/>.</summary>
        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial nint lsl_get_xml(LslStreamInfoHandle info);

        /// <summary>Borrowed from the info.</summary>
        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial nint lsl_get_name(LslStreamInfoHandle info);

        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial int lsl_get_channel_count(LslStreamInfoHandle info);

        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial ChannelFormat lsl_get_channel_format(LslStreamInfoHandle info);

        /// <summary>The element lives inside the info: keep the info handle alive while using it.</summary>
        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial LslXmlPtr lsl_get_desc(LslStreamInfoHandle info);

        [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial LslXmlPtr lsl_append_child(LslXmlPtr element, string name);

        [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial LslXmlPtr lsl_append_child_value(LslXmlPtr element, string name, string value);

        [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial LslXmlPtr lsl_child(LslXmlPtr element, string name);

        /// <summary>Borrowed from the element's document.</summary>
        [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial nint lsl_child_value_n(LslXmlPtr element, string name);

        // ---- outlet -----------------------------------------------------------------------------------

        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial LslOutletHandle lsl_create_outlet(LslStreamInfoHandle info, int chunkSize, int maxBuffered);

        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial void lsl_destroy_outlet(nint outlet);

        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static unsafe partial int lsl_push_chunk_ftnp(LslOutletHandle outlet, float* data, CULong dataElements, double* timestamps, int pushthrough);

        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static unsafe partial int lsl_push_chunk_dtnp(LslOutletHandle outlet, double* data, CULong dataElements, double* timestamps, int pushthrough);

        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static unsafe partial int lsl_push_chunk_ltnp(LslOutletHandle outlet, long* data, CULong dataElements, double* timestamps, int pushthrough);

        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static unsafe partial int lsl_push_chunk_itnp(LslOutletHandle outlet, int* data, CULong dataElements, double* timestamps, int pushthrough);

        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static unsafe partial int lsl_push_chunk_stnp(LslOutletHandle outlet, short* data, CULong dataElements, double* timestamps, int pushthrough);

        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static unsafe partial int lsl_push_chunk_ctnp(LslOutletHandle outlet, sbyte* data, CULong dataElements, double* timestamps, int pushthrough);

        /// <summary>
        /// String chunk with explicit byte lengths. Used instead of <c>lsl_push_chunk_strtnp</c> because that one
        /// swallows the inner error code (always returns 0 in 1.17.7) and needs NUL-terminated copies.
        /// </summary>
        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static unsafe partial int lsl_push_chunk_buftnp(LslOutletHandle outlet, byte** data, uint* lengths, CULong dataElements, double* timestamps, int pushthrough);

        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial int lsl_have_consumers(LslOutletHandle outlet);

        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial int lsl_wait_for_consumers(LslOutletHandle outlet, double timeout);

        /// <summary>Returns a copy owned by the caller.</summary>
        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial LslStreamInfoHandle lsl_get_info(LslOutletHandle outlet);

        // ---- resolve ----------------------------------------------------------------------------------

        /// <summary>Every info written to <paramref name="buffer"/> is owned by the caller.</summary>
        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static unsafe partial int lsl_resolve_all(nint* buffer, uint bufferElements, double waitTime);

        /// <summary>Every info written to <paramref name="buffer"/> is owned by the caller.</summary>
        [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static unsafe partial int lsl_resolve_bypred(nint* buffer, uint bufferElements, string predicate, int minimum, double timeout);

        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial LslContinuousResolverHandle lsl_create_continuous_resolver(double forgetAfter);

        [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial LslContinuousResolverHandle lsl_create_continuous_resolver_bypred(string predicate, double forgetAfter);

        /// <summary>Every info written to <paramref name="buffer"/> is owned by the caller.</summary>
        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static unsafe partial int lsl_resolver_results(LslContinuousResolverHandle resolver, nint* buffer, uint bufferElements);

        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial void lsl_destroy_continuous_resolver(nint resolver);

        // ---- inlet ------------------------------------------------------------------------------------

        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial LslInletHandle lsl_create_inlet(LslStreamInfoHandle info, int maxBuflen, int maxChunklen, int recover);

        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial void lsl_destroy_inlet(nint inlet);

        // The ec out-parameters are `ref`, not `out`: lsl_get_fullinfo only writes *ec on failure, so callers
        // must pre-initialise it to NoError.

        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial LslStreamInfoHandle lsl_get_fullinfo(LslInletHandle inlet, double timeout, ref int errorCode);

        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial void lsl_open_stream(LslInletHandle inlet, double timeout, ref int errorCode);

        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial double lsl_time_correction(LslInletHandle inlet, double timeout, ref int errorCode);

        /// <summary>Returns the number of data elements (samples × channels), not samples.</summary>
        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static unsafe partial CULong lsl_pull_chunk_d(LslInletHandle inlet, double* dataBuffer, double* timestampBuffer,
            CULong dataBufferElements, CULong timestampBufferElements, double timeout, ref int errorCode);

        /// <summary>
        /// On success liblsl mallocs a string for EVERY one of the <paramref name="dataBufferElements"/> slots (also the
        /// unfilled ones); each must be freed with <see cref="lsl_destroy_string"/>. On error nothing is allocated.
        /// </summary>
        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static unsafe partial CULong lsl_pull_chunk_str(LslInletHandle inlet, nint* dataBuffer, double* timestampBuffer,
            CULong dataBufferElements, CULong timestampBufferElements, double timeout, ref int errorCode);

        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial uint lsl_samples_available(LslInletHandle inlet);

        [LibraryImport(LibraryName)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial uint lsl_was_clock_reset(LslInletHandle inlet);

        /// <summary>Every export the binding calls, checked at load so a stripped or ancient build fails with a message instead of an EntryPointNotFoundException later.</summary>
        internal static readonly string[] RequiredExports =
        [
            "lsl_protocol_version", "lsl_library_version", "lsl_library_info", "lsl_local_clock", "lsl_last_error",
            "lsl_destroy_string", "lsl_set_config_filename",
            "lsl_create_streaminfo", "lsl_destroy_streaminfo", "lsl_streaminfo_from_xml", "lsl_get_xml", "lsl_get_name",
            "lsl_get_channel_count", "lsl_get_channel_format", "lsl_get_desc", "lsl_append_child", "lsl_append_child_value",
            "lsl_child", "lsl_child_value_n",
            "lsl_create_outlet", "lsl_destroy_outlet", "lsl_push_chunk_ftnp", "lsl_push_chunk_dtnp", "lsl_push_chunk_ltnp",
            "lsl_push_chunk_itnp", "lsl_push_chunk_stnp", "lsl_push_chunk_ctnp", "lsl_push_chunk_buftnp",
            "lsl_have_consumers", "lsl_wait_for_consumers", "lsl_get_info",
            "lsl_resolve_all", "lsl_resolve_bypred", "lsl_create_continuous_resolver",
            "lsl_create_continuous_resolver_bypred", "lsl_resolver_results", "lsl_destroy_continuous_resolver",
            "lsl_create_inlet", "lsl_destroy_inlet", "lsl_get_fullinfo", "lsl_open_stream", "lsl_time_correction",
            "lsl_pull_chunk_d", "lsl_pull_chunk_str", "lsl_samples_available", "lsl_was_clock_reset",
        ];

        // ---- wrappers ---------------------------------------------------------------------------------

        /// <summary>Copies a borrowed UTF-8 string; null pointer → empty.</summary>
        internal static string PtrToString(nint p) => p == 0 ? "" : Marshal.PtrToStringUTF8(p) ?? "";

        /// <summary>The last error text liblsl stored for this thread (it is not cleared on success, so it may be stale).</summary>
        internal static string LastError()
        {
            string text = PtrToString(lsl_last_error());
            return text.Length == 0 ? "(liblsl gave no error text)" : text;
        }

        /// <summary>Serialises a native info through liblsl's own XML writer and parses it into the shared model.</summary>
        internal static LslStreamInfo ToManaged(LslStreamInfoHandle info)
        {
            nint xml = lsl_get_xml(info);
            if (xml == 0)
            {
                throw new InvalidOperationException("liblsl could not serialise a stream info (lsl_get_xml returned NULL)");
            }
            try
            {
                return LslStreamInfo.FromXml(PtrToString(xml));
            }
            finally
            {
                lsl_destroy_string(xml);
            }
        }
    }
}
