using System.Net;
using System.Net.Http.Headers;
using Anvil.Server.Tests.Infrastructure;
using static Anvil.Server.Tests.Features.Addons.AddonPackages;

namespace Anvil.Server.Tests.Features.Addons;

/// <summary><c>/addons/{name}/{version}/private|public|frontend/...</c>: who may read, headers, ranges, and nothing outside the version.</summary>
public sealed class addon_files(AddonsApp app) : IClassFixture<AddonsApp>, IAsyncLifetime
{
    string _name = "";

    public async Task InitializeAsync()
    {
        _name = Unique.Name("files");
        await InstallAsync(app.Service(), Simple(_name, "1.0.0",
            ("private/client.zip", "client code"),
            ("private/nested/deep.json", """{"deep": true}"""),
            ("public/icon.svg", "<svg/>"),
            ("public/digits.txt", "0123456789"),
            ("frontend/dist/index.html", "<html>addon ui</html>"),
            ("frontend/dist/assets/app.js", "console.log(1)"),
            ("secret.txt", "not under a served folder")));
    }

    public Task DisposeAsync() => Task.CompletedTask;

    string Url(string rest) => $"/addons/{_name}/1.0.0/{rest}";

    [Fact]
    public async Task a_private_file_needs_a_login()
    {
        var anonymous = await app.Anonymous().Http.GetAsync(Url("private/client.zip"));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        var (_, user) = await TestUsers.CreateAsync(app);
        var response = await user.Http.GetAsync(Url("private/client.zip"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/zip", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(11, response.Content.Headers.ContentLength);
        Assert.Equal("client code", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task a_public_file_is_served_to_anyone_with_its_content_type()
    {
        var response = await app.Anonymous().Http.GetAsync(Url("public/icon.svg"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/svg+xml", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("<svg/>", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task the_frontend_is_served_from_its_dist_folder_with_index_html_for_the_folder()
    {
        var api = app.Service();

        Assert.Equal("<html>addon ui</html>", await api.Http.GetStringAsync(Url("frontend/")));
        Assert.Equal("<html>addon ui</html>", await api.Http.GetStringAsync(Url("frontend")));
        var script = await api.Http.GetAsync(Url("frontend/assets/app.js"));
        Assert.Equal("text/javascript", script.Content.Headers.ContentType!.MediaType);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Anonymous().Http.GetAsync(Url("frontend/"))).StatusCode);
    }

    [Fact]
    public async Task a_file_has_a_strong_etag_and_if_none_match_answers_304()
    {
        var api = app.Service();
        var first = await api.Http.GetAsync(Url("private/nested/deep.json"));
        var etag = first.Headers.ETag!;
        Assert.False(etag.IsWeak);

        var request = new HttpRequestMessage(HttpMethod.Get, Url("private/nested/deep.json"));
        request.Headers.IfNoneMatch.Add(etag);
        var again = await api.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);
        Assert.NotEqual(etag, (await api.Http.GetAsync(Url("private/client.zip"))).Headers.ETag);
    }

    [Fact]
    public async Task a_range_answers_206_with_those_bytes()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, Url("public/digits.txt"));
        request.Headers.Range = new RangeHeaderValue(2, 5);

        var response = await app.Anonymous().Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal("2345", await response.Content.ReadAsStringAsync());
        Assert.Equal(4, response.Content.Headers.ContentLength);
        Assert.Equal(10, response.Content.Headers.ContentRange!.Length);
        Assert.Equal("bytes", response.Headers.AcceptRanges.Single());
    }

    [Fact]
    public async Task head_answers_the_headers_without_the_body()
    {
        var response = await app.Anonymous().Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, Url("public/digits.txt")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(10, response.Content.Headers.ContentLength);
        Assert.NotNull(response.Headers.ETag);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("public/%2e%2e/secret.txt")]
    [InlineData("public/%2E%2E/%2E%2E/%2E%2E/%2E%2E/etc/passwd")]
    [InlineData("public/..%2fsecret.txt")]
    [InlineData("public/..%5csecret.txt")]
    [InlineData("public/%2fetc/passwd")]
    [InlineData("public//etc/passwd")]
    [InlineData("public/missing.txt")]
    [InlineData("public/")]
    [InlineData("private/../secret.txt")]
    public async Task nothing_outside_the_served_folders_or_missing_is_served(string rest)
    {
        var response = await app.Service().Http.GetAsync(Url(rest));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task an_unknown_addon_or_version_is_a_404()
    {
        var api = app.Service();

        Assert.Equal(HttpStatusCode.NotFound, (await api.Http.GetAsync($"/addons/{_name}/9.9.9/public/digits.txt")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await api.Http.GetAsync($"/addons/nosuch_{_name}/1.0.0/public/digits.txt")).StatusCode);
    }

    [Fact]
    public async Task a_deleted_version_is_no_longer_served_even_from_its_unpacked_copy()
    {
        var name = Unique.Name("files");
        var api = app.Service();
        await InstallAsync(api, Simple(name, "1.0.0", ("public/a.txt", "a")));
        Assert.Equal("a", await api.Http.GetStringAsync($"/addons/{name}/1.0.0/public/a.txt"));

        await api.DeleteAsync($"/api/addons/{name}/1.0.0");

        Assert.Equal(HttpStatusCode.NotFound, (await api.Http.GetAsync($"/addons/{name}/1.0.0/public/a.txt")).StatusCode);
    }
}
