using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Hosting;

/// <summary>A server that keeps its API documentation behind a login, as AYON does by default.</summary>
public sealed class ProtectedDocsApp : AnvilApp
{
    protected override IEnumerable<(string, string)> Settings => [("AYON_OPENAPI_REQUIRE_AUTHENTICATION", "true")];
}

public sealed class api_documentation(AnvilApp app) : IClassFixture<AnvilApp>
{
    [Fact]
    public async Task the_openapi_document_lists_the_endpoints_with_ayon_operation_ids()
    {
        var document = await app.Anonymous().GetAsync("/openapi.json");

        Assert.NotNull(document["paths"]!["/api/auth/login"]);
        Assert.Equal("login", document["paths"]!["/api/auth/login"]!["post"]!["operationId"]!.GetValue<string>());
        Assert.NotNull(document["paths"]!["/api/info"]);
    }

    [Fact]
    public async Task the_docs_page_and_its_script_are_served_locally()
    {
        var response = await app.Anonymous().Http.GetAsync("/docs");
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Contains("openapi.json", html);
        Assert.DoesNotContain("cdn.jsdelivr.net", html);
    }
}

public sealed class protected_api_documentation(ProtectedDocsApp app) : IClassFixture<ProtectedDocsApp>
{
    [Fact]
    public async Task the_document_needs_a_login_when_so_configured()
    {
        await app.Anonymous().GetAsync("/openapi.json", expect: 401);

        var api = await app.LoginAsync();
        var document = await api.GetAsync("/openapi.json");

        Assert.NotNull(document["paths"]);
    }
}
