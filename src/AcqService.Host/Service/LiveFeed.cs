using System.Text.Json;
using System.Threading.Channels;
using AcqService.Core;

namespace AcqService.Host.Service;

/// <summary>
/// The live push feed of the service (server-sent events at <c>/api/events</c>): every event is serialised once and
/// offered to each subscriber's own bounded queue. A slow client loses its oldest events (counted in its
/// <c>dropped</c> field), never slows the session, and never holds a lock the acquisition path takes.
/// </summary>
public sealed class LiveFeed
{
    /// <summary>Events a subscriber may have waiting before its oldest are dropped.</summary>
    public const int SubscriberCapacity = 512;

    /// <summary>JSON form shared by the feed and the API: camelCase, enums as strings, NaN as null-free strings.</summary>
    /// <remarks>Generated contracts only (<see cref="ControlApiJsonContext"/>): an event type missing there fails here under JIT too, not only in the Native AOT build.</remarks>
    public static readonly JsonSerializerOptions Json = CreateJson();

    private static JsonSerializerOptions CreateJson()
    {
        var json = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        ControlApiJson.Configure(json);
        return json;
    }

    private volatile Subscriber[] _subscribers = [];
    private long _sequence;

    /// <summary>Current subscribers.</summary>
    public int Subscribers => _subscribers.Length;

    /// <summary>Publishes an event to every subscriber.</summary>
    /// <param name="type">Event name (<c>status</c>, <c>session</c>, <c>epoch</c>, <c>alpha</c>, <c>marker</c>, <c>streams</c>).</param>
    /// <param name="data">Serialised as JSON.</param>
    public void Publish(string type, object data)
    {
        Subscriber[] subscribers = _subscribers;
        if (subscribers.Length == 0)
        {
            return;
        }
        long id = Interlocked.Increment(ref _sequence);
        // The payload's own contract (its runtime type), as the reflection serializer did with data.GetType().
        string payload = JsonSerializer.Serialize(data, Json.GetTypeInfo(data.GetType()));
        var item = new FeedItem(id, type, payload);
        foreach (Subscriber s in subscribers)
        {
            s.Offer(item);
        }
    }

    /// <summary>Serialises a value with <see cref="Json"/> through its generated contract.</summary>
    internal static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Json.TypeInfo<T>());

    /// <summary>Ends every subscriber's feed (the service is stopping, so open event streams must end).</summary>
    public void Close()
    {
        foreach (Subscriber s in _subscribers)
        {
            s.End();
        }
    }

    /// <summary>Adds a subscriber; dispose it to leave.</summary>
    public Subscriber Subscribe()
    {
        var subscriber = new Subscriber(this);
        Subscriber[] current, next;
        do
        {
            current = _subscribers;
            next = [.. current, subscriber];
        }
        while (Interlocked.CompareExchange(ref _subscribers, next, current) != current);
        return subscriber;
    }

    private void Remove(Subscriber subscriber)
    {
        Subscriber[] current, next;
        do
        {
            current = _subscribers;
            next = [.. current.Where(s => s != subscriber)];
        }
        while (Interlocked.CompareExchange(ref _subscribers, next, current) != current);
    }

    /// <summary>One event as sent.</summary>
    /// <param name="Id">Sequence number (SSE <c>id</c>).</param>
    /// <param name="Type">Event name.</param>
    /// <param name="Json">Data.</param>
    public readonly record struct FeedItem(long Id, string Type, string Json);

    /// <summary>One client of the feed.</summary>
    public sealed class Subscriber : IDisposable
    {
        private readonly LiveFeed _feed;
        private readonly Channel<FeedItem> _queue;
        private long _dropped;

        internal Subscriber(LiveFeed feed)
        {
            _feed = feed;
            _queue = Channel.CreateBounded<FeedItem>(new BoundedChannelOptions(SubscriberCapacity)
            {
                FullMode = BoundedChannelFullMode.DropOldest,
                SingleReader = true,
            }, _ => Interlocked.Increment(ref _dropped));
        }

        /// <summary>Events this client lost because it read too slowly.</summary>
        public long Dropped => Interlocked.Read(ref _dropped);

        /// <summary>The events, in order.</summary>
        public ChannelReader<FeedItem> Reader => _queue.Reader;

        internal void Offer(FeedItem item) => _queue.Writer.TryWrite(item);

        internal void End() => _queue.Writer.TryComplete();

        /// <summary>Leaves the feed.</summary>
        public void Dispose()
        {
            _feed.Remove(this);
            _queue.Writer.TryComplete();
        }
    }
}
