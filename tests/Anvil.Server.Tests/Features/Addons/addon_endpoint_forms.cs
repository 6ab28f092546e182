using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Features.Addons;

/// <summary>
/// What FastAPI does beyond JSON, through Anvil's forward to the addon host: form fields and file
/// uploads (multipart and urlencoded, the body streamed through with its content type, at most
/// <c>AYON_ADDON_ENDPOINT_MAX_BODY_SIZE</c>), answers shaped by the route's response model, and
/// websocket routes, opened behind Anvil's authentication with the messages forwarded both ways.
/// </summary>
public sealed class addon_endpoint_forms(EndpointsApp app) : IClassFixture<EndpointsApp>
{
    async Task<string> BaseAsync() => $"/api/addons/{await app.AddonAsync()}/1.0.0";

    static MultipartFormDataContent Upload(byte[] file, string title = "Plate")
    {
        var form = new MultipartFormDataContent("anvil-test-boundary");
        form.Add(new StringContent(title), "title");
        var content = new ByteArrayContent(file);
        content.Headers.ContentType = new MediaTypeHeaderValue("image/x-exr");
        form.Add(content, "file", "plate.exr");
        form.Add(new StringContent("2"), "count");
        return form;
    }

    static async Task<(HttpStatusCode Status, JsonNode Body)> SendAsync(Api api, HttpMethod method, string url, HttpContent? content)
    {
        using var request = new HttpRequestMessage(method, url) { Content = content };
        using var answer = await api.Http.SendAsync(request);
        return (answer.StatusCode, JsonNode.Parse(await answer.Content.ReadAsStringAsync())!);
    }

    [Fact]
    public async Task a_multipart_upload_reaches_the_addon_intact_with_its_fields()
    {
        var artist = await app.ArtistAsync();
        var me = (await artist.GetAsync("/api/users/me"))["name"]!.GetValue<string>();
        var file = RandomNumberGenerator.GetBytes(3_000_000);

        var (status, answer) = await SendAsync(artist, HttpMethod.Post, $"{await BaseAsync()}/router/uploads", Upload(file));

        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal(me, answer["user"]!.GetValue<string>());
        Assert.Equal("Plate", answer["title"]!.GetValue<string>());
        Assert.Equal(2, answer["count"]!.GetValue<int>());
        Assert.Equal("plate.exr", answer["filename"]!.GetValue<string>());
        Assert.Equal("image/x-exr", answer["contentType"]!.GetValue<string>());
        Assert.Equal(file.Length, answer["size"]!.GetValue<int>());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(file)), answer["sha256"]!.GetValue<string>());
        Assert.True(answer["onDisk"]!.GetValue<bool>());
    }

    [Fact]
    public async Task a_chunked_upload_without_a_length_is_streamed_through()
    {
        var admin = await app.LoginAsync();
        var file = RandomNumberGenerator.GetBytes(200_000);
        var form = Upload(file);
        var chunked = new StreamContent(new NonSeekableStream(await form.ReadAsByteArrayAsync()));
        chunked.Headers.ContentType = form.Headers.ContentType;

        var (status, answer) = await SendAsync(admin, HttpMethod.Post, $"{await BaseAsync()}/router/uploads", chunked);

        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(file)), answer["sha256"]!.GetValue<string>());
    }

    [Fact]
    public async Task an_upload_over_the_body_limit_answers_413_with_or_without_a_length()
    {
        var admin = await app.LoginAsync();
        var url = $"{await BaseAsync()}/router/uploads";
        var large = await Upload(new byte[4_100_000]).ReadAsByteArrayAsync();
        var announced = new ByteArrayContent(large);
        announced.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=anvil-test-boundary");
        var chunked = new StreamContent(new NonSeekableStream(large));
        chunked.Headers.ContentType = announced.Headers.ContentType;

        var (announcedStatus, announcedAnswer) = await SendAsync(admin, HttpMethod.Post, url, announced);
        var (chunkedStatus, chunkedAnswer) = await SendAsync(admin, HttpMethod.Post, url, chunked);
        var after = await admin.GetAsync($"{await BaseAsync()}/hello");

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, announcedStatus);
        Assert.Contains("AYON_ADDON_ENDPOINT_MAX_BODY_SIZE", announcedAnswer["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, chunkedStatus);
        Assert.Contains("AYON_ADDON_ENDPOINT_MAX_BODY_SIZE", chunkedAnswer["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("world", after["hello"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_missing_form_field_and_text_for_a_file_are_422s_naming_them()
    {
        var admin = await app.LoginAsync();
        var form = new MultipartFormDataContent { { new StringContent("not a file"), "file" }, { new StringContent("many"), "count" } };

        var (status, answer) = await SendAsync(admin, HttpMethod.Post, $"{await BaseAsync()}/router/uploads", form);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal("""[["body","title"],["body","file"],["body","count"]]""",
            new JsonArray([.. answer["detail"]!.AsArray().Select(e => e!["loc"]!.DeepClone())]).ToJsonString());
    }

    [Fact]
    public async Task an_urlencoded_form_is_read_into_the_form_fields()
    {
        var admin = await app.LoginAsync();
        var form = new FormUrlEncodedContent([new("name", "Jürgen"), new("remember", "true")]);

        var (status, answer) = await SendAsync(admin, HttpMethod.Post, $"{await BaseAsync()}/router/login", form);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("""{"name":"Jürgen","remember":true}""", answer.ToJsonString(new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
    }

    [Fact]
    public async Task the_response_model_drops_what_it_does_not_declare_and_sends_aliases()
    {
        var admin = await app.LoginAsync();
        var url = await BaseAsync();

        var shot = await admin.GetAsync($"{url}/router/shots/sh010");
        var stored = await admin.GetAsync($"{url}/router/shots/sh020/stored");
        var broken = await admin.GetAsync($"{url}/router/broken-shot", expect: 502);

        Assert.Equal("""{"name":"sh010","folderType":"Shot","versions":[{"name":"v001","frameStart":1001},{"name":"v002"}]}""", shot.ToJsonString());
        Assert.Equal("""{"name":"sh020","folderType":"Shot","comment":null,"versions":[{"name":"v001","frameStart":null}]}""", stored.ToJsonString());
        Assert.Contains("does not fit its response model (response.name: field required", broken["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    static async Task<ClientWebSocket> OpenAsync(Api api, string path)
    {
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        if (api.Http.DefaultRequestHeaders.Authorization is { } authorization)
            socket.Options.SetRequestHeader("Authorization", authorization.ToString());
        var uri = new UriBuilder(new Uri(api.Http.BaseAddress!, path)) { Scheme = "ws" }.Uri;
        try
        {
            await socket.ConnectAsync(uri, CancellationToken.None);
        }
        catch (WebSocketException)
        {
            // the test reads the refusal's status from the socket
        }
        return socket;
    }

    static async Task<string> ReceiveAsync(WebSocket socket)
    {
        var buffer = new byte[64 * 1024];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var received = await socket.ReceiveAsync(buffer, timeout.Token);
        return received.MessageType == WebSocketMessageType.Close ? "(closed)" : Encoding.UTF8.GetString(buffer, 0, received.Count);
    }

    [Fact]
    public async Task a_websocket_route_is_opened_behind_anvils_authentication_and_messages_flow_both_ways()
    {
        var artist = await app.ArtistAsync();
        var me = (await artist.GetAsync("/api/users/me"))["name"]!.GetValue<string>();
        var url = await BaseAsync();

        using var socket = await OpenAsync(artist, $"{url}/router/live/room-1?shout=true");
        var greeting = await ReceiveAsync(socket);
        var large = string.Concat(Enumerable.Repeat("frame ", 20_000));
        await socket.SendAsync(Encoding.UTF8.GetBytes("hello"), WebSocketMessageType.Text, true, CancellationToken.None);
        var echo = await ReceiveAsync(socket);
        await socket.SendAsync(Encoding.UTF8.GetBytes(large), WebSocketMessageType.Text, true, CancellationToken.None);
        var largeEcho = new StringBuilder();
        while (largeEcho.Length < large.Length)
            largeEcho.Append(await ReceiveAsync(socket));
        await socket.SendAsync(Encoding.UTF8.GetBytes("bye"), WebSocketMessageType.Text, true, CancellationToken.None);
        var closed = await ReceiveAsync(socket);

        Assert.Equal(HttpStatusCode.SwitchingProtocols, socket.HttpStatusCode);
        Assert.Equal($$"""{"room":"room-1","user":"{{me}}"}""", greeting);
        Assert.Equal("HELLO", echo);
        Assert.Equal(large.ToUpperInvariant(), largeEcho.ToString());
        Assert.Equal("(closed)", closed);
        Assert.Equal(4000, (int)socket.CloseStatus!.Value);
        Assert.Equal("bye", socket.CloseStatusDescription);
    }

    [Fact]
    public async Task a_websocket_without_credentials_or_refused_by_the_addon_is_not_opened()
    {
        var admin = await app.LoginAsync();
        var url = await BaseAsync();

        using var anonymous = await OpenAsync(app.Anonymous(), $"{url}/router/live/room-2");
        using var refused = await OpenAsync(admin, $"{url}/router/closed");
        using var unknown = await OpenAsync(admin, $"{url}/router/nowhere");
        var plain = await admin.GetAsync($"{url}/router/live/room-2", expect: 426);
        var after = await admin.GetAsync($"{url}/hello");

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.HttpStatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, refused.HttpStatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.HttpStatusCode);
        Assert.Contains("open it as a websocket", plain["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("world", after["hello"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_failing_websocket_handler_closes_the_socket_with_1011()
    {
        var admin = await app.LoginAsync();

        using var socket = await OpenAsync(admin, $"{await BaseAsync()}/router/live/room-3");
        await ReceiveAsync(socket);
        await socket.SendAsync(Encoding.UTF8.GetBytes("fail"), WebSocketMessageType.Text, true, CancellationToken.None);
        var closed = await ReceiveAsync(socket);

        Assert.Equal("(closed)", closed);
        Assert.Equal(WebSocketCloseStatus.InternalServerError, socket.CloseStatus);
    }

    /// <summary>A stream whose length is unknown, so the client sends it chunked.</summary>
    sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
