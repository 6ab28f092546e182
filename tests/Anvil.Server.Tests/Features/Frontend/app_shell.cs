using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Features.Frontend;

/// <summary>What the web UI's frame asks on every page, answered for what Anvil is.</summary>
public sealed class app_shell(AnvilApp app) : IClassFixture<AnvilApp>
{
    [Fact]
    public async Task the_cloud_connection_answers_not_connected_with_the_instance_id()
    {
        var connect = await (await app.ArtistAsync()).GetAsync("/api/connect");

        Assert.False(connect["connected"]!.GetValue<bool>());
        Assert.Matches("^[0-9a-f]{32}$", connect["instanceId"]!.GetValue<string>());
        Assert.Empty(connect["subscriptions"]!.AsArray());
    }

    [Fact]
    public async Task no_restart_is_ever_required_and_there_are_no_frontend_modules_folders_or_pools()
    {
        var artist = await app.ArtistAsync();

        Assert.False((await artist.GetAsync("/api/system/restartRequired"))["required"]!.GetValue<bool>());
        Assert.Empty((await artist.GetAsync("/api/frontendModules")).AsArray());
        Assert.Empty((await artist.GetAsync("/api/projectFolders"))["folders"]!.AsArray());
        Assert.Empty((await artist.GetAsync("/api/auth/pools")).AsArray());
    }

    [Theory]
    [InlineData("/api/connect")]
    [InlineData("/api/system/restartRequired")]
    [InlineData("/api/frontendModules")]
    [InlineData("/api/projectFolders")]
    [InlineData("/api/auth/pools")]
    [InlineData("/api/views/overview")]
    [InlineData("/api/users/admin/avatar")]
    public async Task every_shell_endpoint_needs_a_login(string path)
    {
        await app.Anonymous().GetAsync(path, expect: 401);
    }
}
