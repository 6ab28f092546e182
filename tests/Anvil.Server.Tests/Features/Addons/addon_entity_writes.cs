using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Features.Addons;

/// <summary>
/// Entity writes from addon code (<c>FolderEntity(...).save()</c>, a loaded entity changed and saved,
/// <c>delete()</c>, a project's attributes): through Anvil's REST API and its operations pipeline as
/// the forwarded user, with Anvil's refusals arriving as the addon's exceptions.
/// </summary>
public sealed class addon_entity_writes(EndpointsApp app) : IClassFixture<EndpointsApp>
{
    async Task<string> BaseAsync() => $"/api/addons/{await app.AddonAsync()}/1.0.0";

    [Fact]
    public async Task addon_code_creates_changes_and_deletes_entities_through_anvil()
    {
        var admin = await app.LoginAsync();
        var project = await TestProjects.CreateAsync(app);

        var answer = await admin.PostAsync($"{await BaseAsync()}/projects/{project}/shots", new { name = "sh010", deleteTask = true });

        var folder = await admin.GetAsync($"/api/projects/{project}/folders/{answer["folderId"]!.GetValue<string>()}");
        Assert.Equal("sh010", folder["name"]!.GetValue<string>());
        Assert.Equal("SH010", folder["label"]!.GetValue<string>());
        Assert.Equal("Shot", folder["folderType"]!.GetValue<string>());
        Assert.Equal(25, folder["attrib"]!["fps"]!.GetValue<double>());
        Assert.Equal("admin", folder["data"]!["by"]!.GetValue<string>());
        Assert.False(answer["savedAgain"]!.GetValue<bool>());
        await admin.GetAsync($"/api/projects/{project}/tasks/{answer["taskId"]!.GetValue<string>()}", expect: 404);
        Assert.Equal(1234, (await admin.GetAsync($"/api/projects/{project}"))["attrib"]!["resolutionWidth"]!.GetValue<int>());
    }

    [Fact]
    public async Task a_write_anvil_refuses_is_the_endpoints_answer()
    {
        var admin = await app.LoginAsync();
        var artist = await app.ArtistAsync();
        var project = await TestProjects.CreateAsync(app);
        var url = $"{await BaseAsync()}/projects/{project}/shots";

        var badType = await admin.PostAsync(url, new { name = "sh020", folderType = "NoSuchType" }, expect: 400);
        var badName = await admin.PostAsync(url, new { name = "no spaces allowed" }, expect: 400);
        var forbidden = await artist.PostAsync(url, new { name = "sh030" }, expect: 403);

        Assert.Contains("NoSuchType", badType["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("name", badName["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.NotNull(forbidden["detail"]);
    }
}
