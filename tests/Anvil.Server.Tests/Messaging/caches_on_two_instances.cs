using System.Text.Json.Nodes;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Messaging;

/// <summary>
/// Every instance keeps the credentials and project contexts it has read; a change made through one
/// instance is seen by the other as soon as the request that made it has answered. Each test first
/// uses the credential or project on instance B, so that B holds it, then changes it through A.
/// </summary>
public sealed class caches_on_two_instances(AnvilApp a, SecondInstance b) : IClassFixture<AnvilApp>, IClassFixture<SecondInstance>
{
    /// <summary>A new user with a personal API key, and a client of B sending that key.</summary>
    async Task<(string User, string KeyId, Api OnB)> UserWithKeyAsync(object? keySettings = null)
    {
        var name = Unique.Name("u");
        await a.Service().PutAsync($"/api/users/{name}", new { password = "plainpassword" }, expect: 204);
        var created = await a.Service().PostAsync($"/api/users/{name}/apikeys", keySettings ?? new { label = "cached" });
        var onB = b.Anonymous();
        onB.Http.DefaultRequestHeaders.Add("X-Api-Key", created["key"]!.GetValue<string>());
        await onB.GetAsync("/api/users/me");
        return (name, created["id"]!.GetValue<string>(), onB);
    }

    [Fact]
    public async Task a_key_revoked_on_one_instance_is_refused_at_once_by_the_other()
    {
        var (name, keyId, onB) = await UserWithKeyAsync();

        await a.Service().DeleteAsync($"/api/users/{name}/apikeys/{keyId}");

        await onB.GetAsync("/api/users/me", expect: 401);
    }

    [Fact]
    public async Task a_user_deactivated_on_one_instance_loses_their_key_at_once_on_the_other()
    {
        var (name, _, onB) = await UserWithKeyAsync();

        await a.Service().PatchAsync($"/api/users/{name}", new { active = false }, expect: 204);

        await onB.GetAsync("/api/users/me", expect: 401);
    }

    [Fact]
    public async Task a_user_deleted_on_one_instance_loses_their_key_at_once_on_the_other()
    {
        var (name, _, onB) = await UserWithKeyAsync();

        await a.Service().DeleteAsync($"/api/users/{name}");

        await onB.GetAsync("/api/users/me", expect: 401);
    }

    [Fact]
    public async Task a_key_made_read_only_on_one_instance_cannot_write_through_the_other()
    {
        var (name, keyId, onB) = await UserWithKeyAsync();
        await onB.PatchAsync($"/api/users/{name}", new { attrib = new { fullName = "Before" } }, expect: 204);

        await a.Service().PatchAsync($"/api/users/{name}/apikeys/{keyId}", new { access = "read" }, expect: 204);

        await onB.PatchAsync($"/api/users/{name}", new { attrib = new { fullName = "After" } }, expect: 403);
    }

    [Fact]
    public async Task a_user_changed_on_one_instance_shows_at_once_in_the_info_of_the_other()
    {
        var (name, _, onB) = await UserWithKeyAsync();
        Assert.Null((await onB.GetAsync("/api/info"))["user"]!["attrib"]!["fullName"]);

        await a.Service().PatchAsync($"/api/users/{name}", new { attrib = new { fullName = "Changed On A" } }, expect: 204);

        Assert.Equal("Changed On A", (await onB.GetAsync("/api/info"))["user"]!["attrib"]!["fullName"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_logout_on_one_instance_ends_the_session_at_once_on_the_other()
    {
        var name = Unique.Name("u");
        await a.Service().PutAsync($"/api/users/{name}", new { password = "plainpassword" }, expect: 204);
        var onA = await a.LoginAsync(name, "plainpassword");
        var onB = b.Anonymous();
        onB.Http.DefaultRequestHeaders.Authorization = onA.Http.DefaultRequestHeaders.Authorization;
        await onB.GetAsync("/api/users/me");

        await onA.PostAsync("/api/auth/logout", null);

        await onB.GetAsync("/api/users/me", expect: 401);
    }

    [Fact]
    public async Task a_password_changed_on_one_instance_ends_the_other_sessions_at_once_on_the_other()
    {
        var name = Unique.Name("u");
        await a.Service().PutAsync($"/api/users/{name}", new { password = "plainpassword" }, expect: 204);
        var onB = await b.LoginAsync(name, "plainpassword");
        await onB.GetAsync("/api/users/me");

        await a.Service().PatchAsync($"/api/users/{name}/password", new { password = "otherpassword" }, expect: 204);

        await onB.GetAsync("/api/users/me", expect: 401);
    }

    [Fact]
    public async Task an_impersonated_user_deactivated_on_one_instance_cannot_be_acted_as_on_the_other()
    {
        var name = Unique.Name("u");
        await a.Service().PutAsync($"/api/users/{name}", new { password = "plainpassword" }, expect: 204);
        var asUser = b.Service();
        asUser.Http.DefaultRequestHeaders.Add("X-As-User", name);
        await asUser.GetAsync("/api/users/me");

        await a.Service().PatchAsync($"/api/users/{name}", new { active = false }, expect: 204);

        await asUser.GetAsync("/api/users/me", expect: 403);
    }

    [Fact]
    public async Task an_anatomy_changed_on_one_instance_applies_at_once_on_the_other()
    {
        var project = await TestProjects.CreateAsync(a);
        await b.Service().PostAsync($"/api/projects/{project}/folders", new { name = "before", folderType = "Shot" }, expect: 201);
        await b.Service().PostAsync($"/api/projects/{project}/folders", new { name = "refused", folderType = "Plate" }, expect: 400);

        var folderTypes = (await a.Service().GetAsync($"/api/projects/{project}"))["folderTypes"]!.AsArray().Select(t => t!.DeepClone()).ToList();
        folderTypes.Add(new JsonObject { ["name"] = "Plate" });
        await a.Service().PatchAsync($"/api/projects/{project}", new { folderTypes }, expect: 204);

        await b.Service().PostAsync($"/api/projects/{project}/folders", new { name = "after", folderType = "Plate" }, expect: 201);
    }

    [Fact]
    public async Task an_access_group_removed_on_one_instance_grants_nothing_at_once_on_the_other()
    {
        var project = await TestProjects.CreateAsync(a);
        var group = Unique.Name("g");
        await a.Service().PutAsync($"/api/accessGroups/{group}/{project}", new { }, expect: 204);
        var (name, _, onB) = await UserWithKeyAsync();
        await a.Service().PatchAsync($"/api/users/{name}/accessGroups", new { accessGroups = new[] { new { project, accessGroups = new[] { group } } } }, expect: 204);
        await onB.GetAsync($"/api/projects/{project}/folders");

        await a.Service().DeleteAsync($"/api/accessGroups/{group}/{project}");

        await onB.GetAsync($"/api/projects/{project}/folders", expect: 403);
    }

    [Fact]
    public async Task a_project_deleted_on_one_instance_is_gone_at_once_on_the_other()
    {
        var project = await TestProjects.CreateAsync(a);
        var folder = (await b.Service().PostAsync($"/api/projects/{project}/folders", new { name = "f", folderType = "Shot" }, expect: 201))["id"]!.GetValue<string>();
        await b.Service().GetAsync($"/api/projects/{project}/folders/{folder}");

        await a.Service().DeleteAsync($"/api/projects/{project}");

        await b.Service().GetAsync($"/api/projects/{project}/folders/{folder}", expect: 404);
    }
}
