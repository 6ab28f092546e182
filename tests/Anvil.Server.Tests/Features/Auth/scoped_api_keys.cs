using System.Text.Json.Nodes;
using Anvil.Server.Features.Auth;
using Anvil.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Anvil.Server.Tests.Features.Auth;

/// <summary>API keys limited to projects and to reading, with expiry, changed through PATCH.</summary>
public sealed class scoped_api_keys(AnvilApp app) : IClassFixture<AnvilApp>
{
    /// <summary>A new admin, logged in: the filter, not a permission, is what refuses a read-only key's writes.</summary>
    async Task<(string Name, Api Session)> AdminAsync()
    {
        var name = await Users.CreateAsync(app, "admin", new JsonObject { ["isAdmin"] = true });
        return (name, await app.LoginAsync(name, Users.Password));
    }

    static async Task<(string Id, Api Key)> CreateKeyAsync(AnvilApp app, Api session, string user, object body)
    {
        var created = await session.PostAsync($"/api/users/{user}/apikeys", body);
        var api = app.Anonymous();
        api.Http.DefaultRequestHeaders.Add("X-Api-Key", created["key"]!.GetValue<string>());
        return (created["id"]!.GetValue<string>(), api);
    }

    /// <summary>The identity the server resolves for a key, as handlers and the access layer see it.</summary>
    async Task<CurrentUser> IdentityAsync(string key, string? asUser = null)
    {
        using var scope = app.Services.CreateScope();
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        context.Request.Headers["X-Api-Key"] = key;
        if (asUser is not null)
            context.Request.Headers["X-As-User"] = asUser;
        var result = await AyonAuthentication.ResolveAsync(context, app.Services.GetRequiredService<CredentialResolver>());
        Assert.NotNull(result);
        Assert.True(result.User is not null, result.Failure);
        return result.User;
    }

    static string[] Names(JsonNode? list) => [.. list!.AsArray().Select(p => p!.GetValue<string>())];

    [Fact]
    public async Task a_key_limited_to_projects_and_reading_shows_and_carries_its_scope()
    {
        var (admin, session) = await AdminAsync();
        var project = await TestProjects.CreateAsync(app);
        var other = await TestProjects.CreateAsync(app);

        var created = await session.PostAsync($"/api/users/{admin}/apikeys", new { label = "farm", projects = new[] { project.ToUpperInvariant() }, access = "read" });

        Assert.Equal([project], Names(created["projects"]));
        Assert.Equal("read", created["access"]!.GetValue<string>());
        var listed = (await session.GetAsync($"/api/users/{admin}/apikeys"))[0]!;
        Assert.Equal([project], Names(listed["projects"]));
        Assert.Equal("read", listed["access"]!.GetValue<string>());
        Assert.Null(listed["key"]);
        var identity = await IdentityAsync(created["key"]!.GetValue<string>());
        Assert.Equal(admin, identity.Name);
        Assert.True(identity.Scope!.ReadOnly);
        Assert.True(identity.Scope.AllowsProject(project.ToUpperInvariant()));
        Assert.False(identity.Scope.AllowsProject(other));
    }

    [Fact]
    public async Task unscoped_keys_are_read_write_on_every_project_and_sessions_carry_no_scope()
    {
        var (admin, session) = await AdminAsync();

        var created = await session.PostAsync($"/api/users/{admin}/apikeys", new { label = "all" });

        Assert.Null(created["projects"]);
        Assert.Equal("readwrite", created["access"]!.GetValue<string>());
        var identity = await IdentityAsync(created["key"]!.GetValue<string>());
        Assert.False(identity.Scope!.ReadOnly);
        Assert.True(identity.Scope.AllowsProject("any_project"));
        Assert.Equal(admin, (await session.GetAsync("/api/users/me"))["name"]!.GetValue<string>());
        Assert.Null((await IdentityAsync(AnvilApp.ServiceApiKey)).Scope!.Projects);
    }

    [Fact]
    public async Task a_read_only_key_is_refused_every_write_and_nothing_is_written()
    {
        var (admin, session) = await AdminAsync();
        var project = await TestProjects.CreateAsync(app);
        var folder = await new EntityBuilder(session, project).FolderAsync(name: "kept");
        var (_, key) = await CreateKeyAsync(app, session, admin, new { label = "reader", access = "read" });

        var refusals = new[]
        {
            await key.PostAsync($"/api/projects/{project}/folders", new { name = "made", folderType = "Asset" }, expect: 403),
            await key.PatchAsync($"/api/projects/{project}/folders/{folder}", new { label = "changed" }, expect: 403),
            await key.DeleteAsync($"/api/projects/{project}/folders/{folder}", expect: 403),
            await key.PutAsync($"/api/users/{Unique.Name("made")}", new { }, expect: 403),
            await key.PostAsync($"/api/projects/{project}/operations", new { operations = new[] { new { type = "delete", entityType = "folder", entityId = folder } } }, expect: 403),
        };

        Assert.All(refusals, r => Assert.Equal("This API key is read-only", r["detail"]!.GetValue<string>()));
        var folders = await session.GetAsync($"/api/projects/{project}/folders");
        Assert.Equal(["kept"], folders["folders"]!.AsArray().Select(f => f!["name"]!.GetValue<string>()));
        Assert.Null((await session.GetAsync($"/api/projects/{project}/folders/{folder}"))["label"]);
    }

    [Fact]
    public async Task a_read_only_key_reads_through_get_graphql_and_the_reading_posts()
    {
        var (admin, session) = await AdminAsync();
        var project = await TestProjects.CreateAsync(app);
        var folder = await new EntityBuilder(session, project).FolderAsync(name: "sq010");
        var (_, key) = await CreateKeyAsync(app, session, admin, new { label = "reader", access = "read" });

        var got = await key.GetAsync($"/api/projects/{project}/folders/{folder}");
        var data = await key.QueryAsync("query($p: String!) { project(name: $p) { folders { edges { node { name } } } } }", new { p = project });
        var found = await key.PostAsync($"/api/projects/{project}/folders/search", new { search = "sq010" });
        var events = await key.PostAsync("/api/query", new { entity = "event", filter = new { conditions = new[] { new { key = "project", value = project } } }, limit = 1 });

        Assert.Equal("sq010", got["name"]!.GetValue<string>());
        Assert.Equal("sq010", data["project"]!["folders"]!["edges"]![0]!["node"]!["name"]!.GetValue<string>());
        Assert.Contains(folder, found.ToJsonString());
        Assert.IsType<JsonArray>(events);
    }

    [Fact]
    public async Task a_read_only_service_key_keeps_x_as_user_and_the_scope_follows_the_key()
    {
        var admin = await app.LoginAsync();
        var serviceKey = Secrets.NewApiKey();
        var service = await Users.CreateServiceAsync(app, serviceKey);
        var artist = await Users.CreateAsync(app);
        var keyId = (await admin.GetAsync($"/api/users/{service}/apikeys"))[0]!["id"]!.GetValue<string>();
        await admin.PatchAsync($"/api/users/{service}/apikeys/{keyId}", new { access = "read" }, expect: 204);
        var api = app.Anonymous();
        api.Http.DefaultRequestHeaders.Add("X-Api-Key", serviceKey);
        api.Http.DefaultRequestHeaders.Add("X-As-User", artist);

        var me = await api.GetAsync("/api/users/me");
        var refused = await api.PatchAsync($"/api/users/{artist}", new { attrib = new { fullName = "Changed" } }, expect: 403);

        Assert.Equal(artist, me["name"]!.GetValue<string>());
        Assert.Equal("This API key is read-only", refused["detail"]!.GetValue<string>());
        var identity = await IdentityAsync(serviceKey, asUser: artist);
        Assert.Equal((artist, service), (identity.Name, identity.ServiceUser));
        Assert.True(identity.Scope!.ReadOnly);
    }

    [Fact]
    public async Task patch_changes_label_expiry_projects_access_and_rate_limit()
    {
        var (admin, session) = await AdminAsync();
        var project = await TestProjects.CreateAsync(app);
        var (id, key) = await CreateKeyAsync(app, session, admin, new { label = "before" });
        var expires = DateTimeOffset.UtcNow.AddDays(2).ToUnixTimeSeconds();

        await session.PatchAsync($"/api/users/{admin}/apikeys/{id}", new { label = "after", expires, projects = new[] { project }, access = "read", rateLimit = 50 }, expect: 204);

        var listed = (await session.GetAsync($"/api/users/{admin}/apikeys"))[0]!;
        Assert.Equal("after", listed["label"]!.GetValue<string>());
        Assert.Equal(expires, listed["expires"]!.GetValue<DateTimeOffset>().ToUnixTimeSeconds());
        Assert.Equal([project], Names(listed["projects"]));
        Assert.Equal("read", listed["access"]!.GetValue<string>());
        Assert.Equal(50, listed["rateLimit"]!.GetValue<int>());
        await key.PostAsync($"/api/projects/{project}/folders", new { name = "f", folderType = "Asset" }, expect: 403);

        // Null restores each default; a field not sent keeps its value.
        await session.PatchAsync($"/api/users/{admin}/apikeys/{id}", new { expires = (long?)null, projects = (string[]?)null, access = "readwrite", rateLimit = (int?)null }, expect: 204);
        listed = (await session.GetAsync($"/api/users/{admin}/apikeys"))[0]!;
        Assert.Equal("after", listed["label"]!.GetValue<string>());
        Assert.Null(listed["expires"]);
        Assert.Null(listed["projects"]);
        Assert.Null(listed["rateLimit"]);
        await key.PostAsync($"/api/projects/{project}/folders", new { name = "f", folderType = "Asset" }, expect: 201);
    }

    [Fact]
    public async Task an_expiry_set_by_patch_ends_the_key_even_while_the_server_holds_it()
    {
        var (admin, session) = await AdminAsync();
        var (id, key) = await CreateKeyAsync(app, session, admin, new { label = "short" });
        await key.GetAsync("/api/users/me");
        var expires = DateTimeOffset.UtcNow.AddSeconds(6);
        await session.PatchAsync($"/api/users/{admin}/apikeys/{id}", new { expires = expires.ToString("O") }, expect: 204);
        // Read again after the change, and so cached until its expiry.
        await key.GetAsync("/api/users/me");

        await Task.Delay(expires - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(100));

        await key.GetAsync("/api/users/me", expect: 401);
    }

    [Fact]
    public async Task invalid_settings_answer_400_naming_the_field()
    {
        var (admin, session) = await AdminAsync();
        var project = await TestProjects.CreateAsync(app);
        var (id, _) = await CreateKeyAsync(app, session, admin, new { label = "k" });
        var path = $"/api/users/{admin}/apikeys";

        var cases = new (object Body, string Field)[]
        {
            (new { label = "x", projects = new[] { project, "no_such_project" } }, "projects.1"),
            (new { label = "x", projects = new object[] { project, 7 } }, "projects.1"),
            (new { label = "x", projects = "all" }, "projects"),
            (new { label = "x", projects = Array.Empty<string>() }, "projects"),
            (new { label = "x", access = "write" }, "access"),
            (new { label = "x", rateLimit = -1 }, "rateLimit"),
            (new { label = "x", rateLimit = "fast" }, "rateLimit"),
            (new { label = "", }, "label"),
            (new { label = "x", expires = DateTimeOffset.UtcNow.AddDays(-1).ToUnixTimeSeconds() }, "expires"),
        };
        foreach (var (body, field) in cases)
        {
            var created = await session.PostAsync(path, body, expect: 400);
            var patched = await session.PatchAsync($"{path}/{id}", body, expect: 400);

            foreach (var error in new[] { created, patched })
            {
                Assert.StartsWith($"{field}: ", error["detail"]!.GetValue<string>());
                string[] location = ["body", .. field.Split('.')];
                Assert.Equal(location, Names(error["errors"]![0]!["loc"]));
            }
        }
        Assert.Equal(1, await Sql.ScalarAsync<int>(app, "SELECT count(*) FROM api_keys WHERE user_name = @admin", new { admin }));
        Assert.Equal("k", (await session.GetAsync(path))[0]!["label"]!.GetValue<string>());
    }

    [Fact]
    public async Task only_the_owner_and_managers_patch_a_key_and_never_the_key_itself()
    {
        var artist = await Users.CreateAsync(app);
        var self = await app.LoginAsync(artist, Users.Password);
        var (id, key) = await CreateKeyAsync(app, self, artist, new { label = "mine" });
        var manager = await app.LoginAsync(await Users.CreateAsync(app, "manager", new JsonObject { ["isManager"] = true }), Users.Password);
        var (adminName, admin) = await AdminAsync();
        var (adminKeyId, _) = await CreateKeyAsync(app, admin, adminName, new { label = "admin's" });

        await (await app.ArtistAsync()).PatchAsync($"/api/users/{artist}/apikeys/{id}", new { label = "theirs" }, expect: 403);
        await key.PatchAsync($"/api/users/{artist}/apikeys/{id}", new { label = "by itself" }, expect: 403);
        await manager.PatchAsync($"/api/users/{adminName}/apikeys/{adminKeyId}", new { label = "x" }, expect: 403);
        await self.PatchAsync($"/api/users/{artist}/apikeys/{Guid.NewGuid():N}", new { label = "x" }, expect: 404);
        await self.PatchAsync($"/api/users/{artist}/apikeys/{adminKeyId}", new { label = "x" }, expect: 404);
        await manager.PatchAsync($"/api/users/{artist}/apikeys/{id}", new { label = "by manager", rateLimit = 5000 }, expect: 204);

        var listed = (await self.GetAsync($"/api/users/{artist}/apikeys"))[0]!;
        Assert.Equal("by manager", listed["label"]!.GetValue<string>());
        Assert.Equal(5000, listed["rateLimit"]!.GetValue<int>());
    }

    [Fact]
    public async Task users_may_lower_their_keys_rate_limit_but_only_managers_raise_it()
    {
        var artist = await Users.CreateAsync(app);
        var self = await app.LoginAsync(artist, Users.Password);

        var lowered = await self.PostAsync($"/api/users/{artist}/apikeys", new { label = "slow", rateLimit = 10 });
        var raised = await self.PostAsync($"/api/users/{artist}/apikeys", new { label = "fast", rateLimit = 1_000_000 }, expect: 403);
        var unlimited = await self.PostAsync($"/api/users/{artist}/apikeys", new { label = "free", rateLimit = 0 }, expect: 403);

        Assert.Equal(10, lowered["rateLimit"]!.GetValue<int>());
        Assert.All(new[] { raised, unlimited }, e => Assert.StartsWith("rateLimit: ", e["detail"]!.GetValue<string>()));
    }

    [Fact]
    public async Task a_key_limited_to_projects_cannot_mint_or_widen_keys()
    {
        var (admin, session) = await AdminAsync();
        var project = await TestProjects.CreateAsync(app);
        var (_, limited) = await CreateKeyAsync(app, session, admin, new { label = "one project", projects = new[] { project } });
        var (otherId, _) = await CreateKeyAsync(app, session, admin, new { label = "other", projects = new[] { project } });

        await limited.PostAsync($"/api/users/{admin}/apikeys", new { label = "escape" }, expect: 403);
        await limited.PatchAsync($"/api/users/{admin}/apikeys/{otherId}", new { projects = (string[]?)null }, expect: 403);

        Assert.Equal(2, await Sql.ScalarAsync<int>(app, "SELECT count(*) FROM api_keys WHERE user_name = @admin AND projects IS NOT NULL", new { admin }));
    }
}
