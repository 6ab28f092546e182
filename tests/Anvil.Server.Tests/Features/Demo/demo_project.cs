using Anvil.Server.Features.Demo;
using Anvil.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Anvil.Server.Tests.Features.Demo;

/// <summary>A database of its own: the demo project has a fixed name.</summary>
public sealed class DemoApp : AnvilApp
{
    protected override Task<string> DatabaseUrlAsync() => TestEnvironment.CreateDatabaseAsync(Unique.Name("anvil_demo"));
}

public sealed class demo_project(DemoApp app) : IClassFixture<DemoApp>
{
    [Fact]
    public async Task setup_fills_a_demo_project_once_with_real_data()
    {
        var demo = app.Services.GetRequiredService<DemoProject>();

        var created = await demo.EnsureAsync();
        var again = await demo.EnsureAsync();

        Assert.True(created);
        Assert.False(again);
        var api = app.Service();
        var stats = await api.GetAsync($"/api/projects/{DemoProject.Name}/stats");
        Assert.Equal(15, stats["counts"]!["folders"]!.GetValue<long>());
        Assert.True(stats["counts"]!["representations"]!.GetValue<long>() > 20);
        var folders = await api.GetAsync($"/api/projects/{DemoProject.Name}/folders");
        var shot = folders["folders"]!.AsArray().First(f => f!["path"]!.GetValue<string>() == "sq010/sh010")!;
        var thumbnail = await api.Http.GetAsync($"/api/projects/{DemoProject.Name}/folders/{shot["id"]!.GetValue<string>()}/thumbnail");
        Assert.Equal(200, (int)thumbnail.StatusCode);
        Assert.Equal("image/png", thumbnail.Content.Headers.ContentType!.MediaType);
        var links = await Sql.ScalarAsync<long>(app, $"SELECT count(*) FROM project_{DemoProject.Name.ToLowerInvariant()}.links");
        Assert.True(links >= 12);
    }
}
