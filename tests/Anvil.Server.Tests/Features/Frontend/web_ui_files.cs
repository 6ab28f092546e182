using System.Net;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Features.Frontend;

/// <summary>A studio's web UI build served at `/` as AYON serves it, after every API route.</summary>
public sealed class web_ui_files(web_ui_files.WithBuild app) : IClassFixture<web_ui_files.WithBuild>
{
    public sealed class WithBuild : AnvilApp
    {
        public string Build { get; } = Directory.CreateTempSubdirectory("anvil-frontend-").FullName;
        public string Static { get; } = Directory.CreateTempSubdirectory("anvil-static-").FullName;

        public WithBuild()
        {
            File.WriteAllText(Path.Combine(Build, "index.html"), "<!doctype html><title>the web ui</title>");
            File.WriteAllText(Path.Combine(Build, "remoteEntry.js"), "export const remote = 1;");
            Directory.CreateDirectory(Path.Combine(Build, "assets"));
            File.WriteAllText(Path.Combine(Build, "assets", "app-1a2b.js"), "console.log('app');");
            File.WriteAllText(Path.Combine(Path.GetDirectoryName(Build)!, "outside-the-build.txt"), "secret");
            Directory.CreateDirectory(Path.Combine(Static, "customization"));
            File.WriteAllBytes(Path.Combine(Static, "customization", "login-background.jpg"), [0xFF, 0xD8, 0xFF, 0xE0]);
        }

        protected override IEnumerable<(string Variable, string Value)> Settings =>
            [("AYON_FRONTEND_DIR", Build), ("AYON_STATIC_DIR", Static)];
    }

    async Task<HttpResponseMessage> GetAsync(string path) => await app.CreateClient().GetAsync(path);

    [Fact]
    public async Task the_root_answers_the_build_index_and_says_not_to_cache_it()
    {
        var response = await GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("the web ui", await response.Content.ReadAsStringAsync());
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.CacheControl?.NoCache);
    }

    [Fact]
    public async Task a_page_of_the_web_ui_answers_the_index_so_the_ui_can_route_it()
    {
        var response = await GetAsync("/projects/demo/overview?project=demo");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("the web ui", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task a_file_of_the_build_is_served_with_its_type()
    {
        var response = await GetAsync("/assets/app-1a2b.js");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("console.log('app');", await response.Content.ReadAsStringAsync());
        Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
        Assert.NotEqual(true, response.Headers.CacheControl?.NoCache);
    }

    [Fact]
    public async Task the_module_federation_manifest_is_never_cached()
    {
        var response = await GetAsync("/remoteEntry.js");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.CacheControl?.NoCache);
    }

    [Theory]
    [InlineData("/api/no-such-endpoint", "API endpoint /api/no-such-endpoint not found")]
    [InlineData("/addons/nothing", "/addons/nothing not found")]
    public async Task unknown_api_and_addon_paths_keep_their_json_404(string path, string detail)
    {
        var body = await app.Anonymous().GetAsync(path, expect: 404);

        Assert.Equal(detail, body["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task the_api_still_answers_before_the_web_ui()
    {
        var info = await app.Anonymous().GetAsync("/api/info");

        Assert.Equal("Anvil", info["serverName"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_wrong_method_on_an_api_route_still_answers_405()
    {
        var response = await app.CreateClient().PutAsync("/api/info", new StringContent("{}"));

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }

    [Fact]
    public async Task a_path_climbing_out_of_the_build_never_reaches_the_file_system_beyond_it()
    {
        var response = await GetAsync("/assets/..%2F..%2Foutside-the-build.txt");

        Assert.DoesNotContain("secret", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task customisation_files_are_served_under_static()
    {
        var response = await GetAsync("/static/customization/login-background.jpg");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/jpeg", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task a_missing_static_file_is_a_json_404_not_the_index()
    {
        var body = await app.Anonymous().GetAsync("/static/customization/none.png", expect: 404);

        Assert.Equal(404, body["code"]!.GetValue<int>());
    }
}

/// <summary>Without a web UI build, `/` is Anvil's own page and says how to serve one.</summary>
public sealed class landing_page(AnvilApp app) : IClassFixture<AnvilApp>
{
    [Fact]
    public async Task without_a_build_the_root_is_anvils_page_naming_the_setting()
    {
        var response = await app.CreateClient().GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("AYON_FRONTEND_DIR", html);
    }

    [Fact]
    public async Task without_a_build_an_unknown_page_is_a_json_404()
    {
        var body = await app.Anonymous().GetAsync("/dashboard/tasks", expect: 404);

        Assert.Equal("/dashboard/tasks not found", body["detail"]!.GetValue<string>());
    }
}
