using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Features.Addons;

/// <summary>
/// What FastAPI does beyond JSON, through Anvil's forward to the addon host: form fields and file
/// uploads (multipart and urlencoded, the body streamed through with its content type, at most
/// <c>AYON_ADDON_ENDPOINT_MAX_BODY_SIZE</c>), answers shaped by the route's response model, and
/// websocket routes, which Anvil refuses clearly.
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

    /// <summary>A stream whose length is unknown, so the client sends it chunked.</summary>
    sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
