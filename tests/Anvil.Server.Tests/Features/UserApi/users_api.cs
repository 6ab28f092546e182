using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Anvil.Server.Tests.Infrastructure;
using Anvil.Server.Tests.Messaging;

namespace Anvil.Server.Tests.Features.UserApi;

public sealed class users_api(AnvilApp app) : IClassFixture<AnvilApp>
{
    const string StrongPassword = "Strong-pass-123";

    async Task<string> CreateUserAsync(Api admin, object? data = null, string password = "plainpassword")
    {
        var name = Unique.Name("u");
        await admin.PutAsync($"/api/users/{name}", new { password, attrib = new { fullName = "Some One", email = $"{name}@example.com" }, data = data ?? new { } }, expect: 204);
        return name;
    }

    static void AssertNoSecrets(JsonNode? node, params string[] secrets)
    {
        var text = node?.ToJsonString() ?? "";
        foreach (var secret in secrets)
            Assert.DoesNotContain(secret, text);
        Assert.DoesNotContain("password\"", text.Replace("Password\"", ""));
    }

    [Fact]
    public async Task a_manager_creates_a_user_who_can_log_in_with_a_password_not_checked_for_complexity()
    {
        var admin = await app.LoginAsync();
        var name = await CreateUserAsync(admin, password: "testUserPassword");

        var user = await (await app.LoginAsync(name, "testUserPassword")).GetAsync("/api/users/me");

        Assert.Equal(name, user["name"]!.GetValue<string>());
        Assert.Equal("Some One", user["attrib"]!["fullName"]!.GetValue<string>());
        AssertNoSecrets(user, "testUserPassword", "pbkdf2");
    }

    [Fact]
    public async Task creating_an_existing_user_answers_409_case_insensitively()
    {
        var admin = await app.LoginAsync();
        var name = await CreateUserAsync(admin);
        await admin.PutAsync($"/api/users/{name.ToUpperInvariant()}", new { password = "x" }, expect: 409);
    }

    [Fact]
    public async Task email_addresses_are_unique_case_insensitively()
    {
        var admin = await app.LoginAsync();
        var first = await CreateUserAsync(admin);
        var second = await CreateUserAsync(admin);
        var taken = $"{first}@EXAMPLE.com";

        await admin.PutAsync($"/api/users/{Unique.Name("u")}", new { attrib = new { email = taken } }, expect: 409);
        await admin.PatchAsync($"/api/users/{second}", new { attrib = new { email = taken } }, expect: 409);
        await admin.PatchAsync($"/api/users/{first}", new { attrib = new { email = taken } }, expect: 204);
    }

    [Fact]
    public async Task of_concurrent_creates_with_one_email_address_exactly_one_wins_and_the_others_are_told_the_email_is_taken()
    {
        var admin = await app.LoginAsync();
        var email = $"{Unique.Name("shared")}@example.com";

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            admin.Http.PutAsJsonAsync($"/api/users/{Unique.Name("u")}", new { password = "plainpassword", attrib = new { email } })));
        var bodies = await Task.WhenAll(responses.Select(r => r.Content.ReadAsStringAsync()));

        Assert.Equal(1, responses.Count(r => (int)r.StatusCode == 204));
        Assert.All(responses.Zip(bodies).Where(p => (int)p.First.StatusCode != 204), p =>
        {
            Assert.Equal(409, (int)p.First.StatusCode);
            Assert.Contains("email", p.Second, StringComparison.Ordinal);
        });
        var holders = (await admin.GetAsync("/api/users")).AsArray().Where(u => u!["attrib"]?["email"]?.GetValue<string>() == email);
        Assert.Single(holders);
    }

    [Theory]
    [InlineData("-bad")]
    [InlineData("bad-")]
    [InlineData("b a d")]
    [InlineData("x")]
    public async Task invalid_names_are_refused_naming_the_field(string name)
    {
        var admin = await app.LoginAsync();
        var error = await admin.PutAsync($"/api/users/{Uri.EscapeDataString(name)}", new { }, expect: 400);
        Assert.StartsWith("name", error["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task artists_cannot_create_list_or_delete_users_and_see_only_names_of_others()
    {
        var admin = await app.LoginAsync();
        var other = await CreateUserAsync(admin);
        var artist = await app.ArtistAsync();

        await artist.PutAsync($"/api/users/{Unique.Name("n")}", new { password = "x" }, expect: 403);
        await artist.GetAsync("/api/users", expect: 403);
        await artist.DeleteAsync($"/api/users/{other}", expect: 403);
        var seen = await artist.GetAsync($"/api/users/{other}");
        Assert.Equal(["attrib", "name"], seen.AsObject().Select(p => p.Key).Order());
        Assert.Equal(["fullName"], seen["attrib"]!.AsObject().Select(p => p.Key));
        await artist.GetAsync($"/api/users/{Unique.Name("missing")}", expect: 404);
    }

    [Fact]
    public async Task managers_list_users_and_see_them_in_full_but_cannot_make_admins()
    {
        var admin = await app.LoginAsync();
        var managerName = await CreateUserAsync(admin, new { isManager = true });
        var manager = await app.LoginAsync(managerName, "plainpassword");
        var name = await CreateUserAsync(manager);

        var list = (await manager.GetAsync("/api/users")).AsArray();
        Assert.Contains(list, u => u!["name"]!.GetValue<string>() == name);
        AssertNoSecrets(list, "pbkdf2", AnvilApp.ServiceApiKey);
        Assert.Equal($"{name}@example.com", (await manager.GetAsync($"/api/users/{name}"))["attrib"]!["email"]!.GetValue<string>());
        await manager.PutAsync($"/api/users/{Unique.Name("n")}", new { data = new { isAdmin = true } }, expect: 403);
        await manager.PatchAsync($"/api/users/{name}", new { data = new { isManager = true } }, expect: 403);
        await manager.PatchAsync("/api/users/admin", new { attrib = new { fullName = "x" } }, expect: 403);
        await admin.PatchAsync($"/api/users/{name}", new { data = new { isManager = true } }, expect: 204);
        Assert.True((await admin.GetAsync($"/api/users/{name}"))["data"]!["isManager"]!.GetValue<bool>());
    }

    [Fact]
    public async Task patch_changes_attributes_per_key_and_merges_data_and_users_change_only_their_own_attributes()
    {
        var admin = await app.LoginAsync();
        var name = await CreateUserAsync(admin, new { defaultAccessGroups = new[] { "artist" }, keep = 1 });
        var self = await app.LoginAsync(name, "plainpassword");

        await self.PatchAsync($"/api/users/{name}", new { attrib = new { fullName = "New Name" } }, expect: 204);
        await self.PatchAsync($"/api/users/{name}", new { data = new { isManager = true } }, expect: 403);
        await admin.PatchAsync($"/api/users/{name}", new { data = new { other = "x", password = "sneaky" } }, expect: 204);

        var user = await admin.GetAsync($"/api/users/{name}");
        Assert.Equal("New Name", user["attrib"]!["fullName"]!.GetValue<string>());
        Assert.Equal($"{name}@example.com", user["attrib"]!["email"]!.GetValue<string>());
        Assert.Equal(1, user["data"]!["keep"]!.GetValue<int>());
        Assert.Equal("x", user["data"]!["other"]!.GetValue<string>());
        Assert.Null(user["data"]!["password"]);
        await app.LoginAsync(name, "plainpassword");
    }

    [Fact]
    public async Task deactivating_a_user_ends_their_sessions_and_refuses_login()
    {
        var admin = await app.LoginAsync();
        var name = await CreateUserAsync(admin);
        var session = await app.LoginAsync(name, "plainpassword");

        await admin.PatchAsync($"/api/users/{name}", new { active = false }, expect: 204);

        await session.GetAsync("/api/users/me", expect: 401);
        await app.Anonymous().PostAsync("/api/auth/login", new { name, password = "plainpassword" }, expect: 401);
        await admin.PatchAsync("/api/users/admin", new { active = false }, expect: 403);
    }

    [Fact]
    public async Task delete_removes_the_user_ends_sessions_and_emits_an_event_but_not_oneself()
    {
        var admin = await app.LoginAsync();
        var name = await CreateUserAsync(admin);
        var session = await app.LoginAsync(name, "plainpassword");

        await admin.DeleteAsync($"/api/users/{name}");

        await session.GetAsync("/api/users/me", expect: 401);
        await admin.GetAsync($"/api/users/{name}", expect: 404);
        await admin.DeleteAsync("/api/users/admin", expect: 403);
        foreach (var topic in new[] { "entity.user.created", "entity.user.deleted" })
            Assert.Equal(1, await Sql.ScalarAsync<int>(app, "SELECT count(*) FROM events WHERE topic = @topic AND summary->>'entityName' = @name", new { topic, name }));
    }

    [Fact]
    public async Task rename_moves_the_user_and_their_keys_and_refuses_taken_names()
    {
        var admin = await app.LoginAsync();
        var name = await CreateUserAsync(admin);
        var other = await CreateUserAsync(admin);
        var self = await app.LoginAsync(name, "plainpassword");
        var key = (await self.PostAsync($"/api/users/{name}/apikeys", new { label = "k" }))["key"]!.GetValue<string>();
        var newName = Unique.Name("renamed");

        await admin.PatchAsync($"/api/users/{name}/rename", new { newName = other.ToUpperInvariant() }, expect: 409);
        await admin.PatchAsync($"/api/users/{name}/rename", new { newName = "-x" }, expect: 400);
        await admin.PatchAsync($"/api/users/{name}/rename", new { newName }, expect: 204);

        await admin.GetAsync($"/api/users/{name}", expect: 404);
        await app.LoginAsync(newName, "plainpassword");
        var viaKey = app.Anonymous();
        viaKey.Http.DefaultRequestHeaders.Add("X-Api-Key", key);
        Assert.Equal(newName, (await viaKey.GetAsync("/api/users/me"))["name"]!.GetValue<string>());
        Assert.Equal(1, await Sql.ScalarAsync<int>(app, "SELECT count(*) FROM events WHERE topic = 'entity.user.renamed' AND summary->>'entityName' = @newName", new { newName }));
    }

    [Fact]
    public async Task self_service_password_changes_need_the_current_password_and_complexity()
    {
        var admin = await app.LoginAsync();
        var name = await CreateUserAsync(admin);
        var self = await app.LoginAsync(name, "plainpassword");

        await self.PatchAsync($"/api/users/{name}/password", new { password = StrongPassword }, expect: 400);
        await self.PatchAsync($"/api/users/{name}/password", new { password = StrongPassword, currentPassword = "wrong" }, expect: 403);
        var weak = await self.PatchAsync($"/api/users/{name}/password", new { password = "short1-", currentPassword = "plainpassword" }, expect: 400);
        Assert.Contains("8", weak["detail"]!.GetValue<string>());
        await self.PatchAsync($"/api/users/{name}/password", new { password = "longbutnodigits", currentPassword = "plainpassword" }, expect: 400);
        await self.PatchAsync($"/api/users/{name}/password", new { password = "longwith1digit", currentPassword = "plainpassword" }, expect: 400);
        await self.PatchAsync($"/api/users/{name}/password", new { password = StrongPassword, currentPassword = "plainpassword" }, expect: 204);
        await app.LoginAsync(name, StrongPassword);

        // A manager sets another user's password without the complexity rule; an artist cannot.
        await admin.PatchAsync($"/api/users/{name}/password", new { password = "simple" }, expect: 204);
        await app.LoginAsync(name, "simple");
        await (await app.ArtistAsync()).PatchAsync($"/api/users/{name}/password", new { password = StrongPassword }, expect: 403);
    }

    [Fact]
    public async Task a_new_password_ends_every_other_session_of_the_user()
    {
        var admin = await app.LoginAsync();
        var name = await CreateUserAsync(admin);
        var changing = await app.LoginAsync(name, "plainpassword");
        var laptop = await app.LoginAsync(name, "plainpassword");
        var farm = await app.LoginAsync(name, "plainpassword");

        await changing.PatchAsync($"/api/users/{name}/password", new { password = StrongPassword, currentPassword = "plainpassword" }, expect: 204);
        await laptop.GetAsync("/api/users/me", expect: 401);
        await changing.GetAsync("/api/users/me");
        await admin.PatchAsync($"/api/users/{name}/password", new { password = "reset-by-admin" }, expect: 204);

        await changing.GetAsync("/api/users/me", expect: 401);
        await farm.GetAsync("/api/users/me", expect: 401);
        await admin.GetAsync("/api/users/me");
    }

    [Fact]
    public async Task sessions_are_listed_by_opaque_id_and_can_be_ended_one_by_one()
    {
        var admin = await app.LoginAsync();
        var name = await CreateUserAsync(admin);
        var first = await app.LoginAsync(name, "plainpassword");
        var second = await app.LoginAsync(name, "plainpassword");
        var firstToken = first.Http.DefaultRequestHeaders.Authorization!.Parameter!;
        var secondToken = second.Http.DefaultRequestHeaders.Authorization!.Parameter!;

        var listed = await first.GetAsync($"/api/users/{name}/sessions");
        var sessions = listed["sessions"]!.AsArray();
        Assert.Equal(2, sessions.Count);
        AssertNoSecrets(listed, firstToken, secondToken);
        Assert.Single(sessions, s => s!["isCurrent"]!.GetValue<bool>());
        await (await app.ArtistAsync()).GetAsync($"/api/users/{name}/sessions", expect: 403);

        var secondId = sessions.Single(s => !s!["isCurrent"]!.GetValue<bool>())!["id"]!.GetValue<string>();
        await admin.DeleteAsync($"/api/users/{name}/sessions/{secondId}");
        await second.GetAsync("/api/users/me", expect: 401);
        await first.GetAsync("/api/users/me");
        await admin.DeleteAsync($"/api/users/{name}/sessions/{secondId}", expect: 404);
    }

    [Fact]
    public async Task api_keys_are_shown_once_stored_hashed_and_can_be_revoked()
    {
        var admin = await app.LoginAsync();
        var name = await CreateUserAsync(admin);
        var self = await app.LoginAsync(name, "plainpassword");

        var created = await self.PostAsync($"/api/users/{name}/apikeys", new { label = "laptop" });
        var key = created["key"]!.GetValue<string>();
        var id = created["id"]!.GetValue<string>();
        Assert.Equal(32, key.Length);

        var listed = await self.GetAsync($"/api/users/{name}/apikeys");
        AssertNoSecrets(listed, key);
        Assert.Equal(Secrets_Preview(key), listed[0]!["preview"]!.GetValue<string>());
        Assert.Equal(0, await Sql.ScalarAsync<int>(app, "SELECT count(*) FROM api_keys WHERE key_hash = @key OR preview = @key", new { key }));
        Assert.Equal(1, await Sql.ScalarAsync<int>(app, "SELECT count(*) FROM api_keys WHERE user_name = @name", new { name }));

        var viaKey = app.Anonymous();
        viaKey.Http.DefaultRequestHeaders.Add("X-Api-Key", key);
        Assert.Equal(name, (await viaKey.GetAsync("/api/users/me"))["name"]!.GetValue<string>());
        await (await app.ArtistAsync()).GetAsync($"/api/users/{name}/apikeys", expect: 403);
        await self.PostAsync($"/api/users/{name}/apikeys", new { }, expect: 400);

        await self.DeleteAsync($"/api/users/{name}/apikeys/{id}");
        await viaKey.GetAsync("/api/users/me", expect: 401);
        await self.DeleteAsync($"/api/users/{name}/apikeys/{id}", expect: 404);
    }

    [Fact]
    public async Task api_key_expiry_is_kept_and_a_past_expiry_is_refused()
    {
        var admin = await app.LoginAsync();
        var name = await CreateUserAsync(admin);
        await admin.PostAsync($"/api/users/{name}/apikeys", new { label = "old", expires = DateTimeOffset.UtcNow.AddDays(-1).ToUnixTimeSeconds() }, expect: 400);
        var expires = DateTimeOffset.UtcNow.AddDays(1).ToUnixTimeSeconds();
        var created = await admin.PostAsync($"/api/users/{name}/apikeys", new { label = "day", expires });
        var key = created["key"]!.GetValue<string>();

        Assert.Equal(expires, (await admin.GetAsync($"/api/users/{name}/apikeys"))[0]!["expires"]!.GetValue<DateTimeOffset>().ToUnixTimeSeconds());
        // An expired key stops working.
        await Sql.ExecuteAsync(app, "UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE user_name = @name", new { name });
        var viaKey = app.Anonymous();
        viaKey.Http.DefaultRequestHeaders.Add("X-Api-Key", key);
        await viaKey.GetAsync("/api/users/me", expect: 401);
    }

    [Fact]
    public async Task no_password_reaches_an_event()
    {
        var admin = await app.LoginAsync();
        var name = await CreateUserAsync(admin, password: "event-Secret-42");
        await admin.PatchAsync($"/api/users/{name}/password", new { password = "event-Secret-43" }, expect: 204);
        await admin.DeleteAsync($"/api/users/{name}");

        Assert.Equal(0, await Sql.ScalarAsync<int>(app,
            "SELECT count(*) FROM events WHERE (summary::text || payload::text || description) ~ 'event-Secret|pbkdf2'"));
    }

    [Fact]
    public async Task rename_and_delete_follow_the_user_into_task_assignees()
    {
        var admin = await app.LoginAsync();
        var name = await CreateUserAsync(admin);
        var project = await TestProjects.CreateAsync(app);
        var task = await new EntityBuilder(admin, project).TaskAsync();
        await admin.PatchAsync($"/api/projects/{project}/tasks/{task}", new { assignees = new[] { name, "admin" } }, expect: 204);
        var newName = Unique.Name("renamed");

        await admin.PatchAsync($"/api/users/{name}/rename", new { newName }, expect: 204);
        Assert.Equal([newName, "admin"], (await admin.GetAsync($"/api/projects/{project}/tasks/{task}"))["assignees"]!.AsArray().Select(a => a!.GetValue<string>()));

        await admin.DeleteAsync($"/api/users/{newName}");
        Assert.Equal(["admin"], (await admin.GetAsync($"/api/projects/{project}/tasks/{task}"))["assignees"]!.AsArray().Select(a => a!.GetValue<string>()));
    }

    static string Secrets_Preview(string key) => $"{key[..4]}***{key[^4..]}";

    [Fact]
    public async Task the_client_restart_as_user_flow_is_refused_for_an_artist_and_accepted_for_an_admin()
    {
        var service = app.Service();
        var project = await TestProjects.CreateAsync(app);
        var groups = (await service.GetAsync("/api/accessGroups/_")).AsArray().Select(g => g!["name"]!.GetValue<string>()).ToArray();
        Assert.Contains("artist", groups);
        var name = Unique.Name("testUser");
        await service.PutAsync($"/api/users/{name}", new
        {
            password = "testUserPassword",
            data = new { isAdmin = false, isManager = false, defaultAccessGroups = groups, accessGroups = new Dictionary<string, string[]> { [project] = groups } },
        }, expect: 204);
        var artist = await app.LoginAsync(name, "testUserPassword");

        await artist.PostAsync("/api/system/restart", null, expect: 403);
        var before = await Sql.ScalarAsync<int>(app, "SELECT count(*) FROM events WHERE topic = 'server.restart_requested'");
        await (await app.LoginAsync()).PostAsync("/api/system/restart", null, expect: 204);
        Assert.Equal(before + 1, await Sql.ScalarAsync<int>(app, "SELECT count(*) FROM events WHERE topic = 'server.restart_requested'"));
    }
}

/// <summary>Ending sessions is seen by every instance: they share Redis.</summary>
public sealed class users_on_two_instances(AnvilApp a, SecondInstance b) : IClassFixture<AnvilApp>, IClassFixture<SecondInstance>
{
    [Fact]
    public async Task deactivating_a_user_on_one_instance_ends_their_sessions_on_the_other()
    {
        var name = Unique.Name("u");
        await a.Service().PutAsync($"/api/users/{name}", new { password = "plainpassword" }, expect: 204);
        var onB = await b.LoginAsync(name, "plainpassword");
        var token = onB.Http.DefaultRequestHeaders.Authorization!.Parameter!;
        await onB.GetAsync("/api/users/me");

        await a.Service().PatchAsync($"/api/users/{name}", new { active = false }, expect: 204);

        await onB.GetAsync("/api/users/me", expect: 401);
        Assert.Empty((await b.Service().GetAsync($"/api/users/{name}/sessions"))["sessions"]!.AsArray());
        // The session itself is gone, not only refused: reactivating does not revive it.
        await a.Service().PatchAsync($"/api/users/{name}", new { active = true }, expect: 204);
        var again = b.Anonymous();
        again.Http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        await again.GetAsync("/api/users/me", expect: 401);
    }
}

/// <summary>A restart request makes every instance reload its caches.</summary>
public sealed class restart_on_two_instances(AnvilApp a, SecondInstance b) : IClassFixture<AnvilApp>, IClassFixture<SecondInstance>
{
    [Fact]
    public async Task a_restart_requested_on_one_instance_reloads_the_attribute_library_of_the_other()
    {
        var attribute = "restartProbe" + Guid.NewGuid().ToString("N")[..8];
        await b.Service().GetAsync("/api/attributes");
        // Written behind the servers' backs: only a reload shows it.
        await Sql.ExecuteAsync(a, """
            INSERT INTO attributes (name, position, scope, builtin, data)
            VALUES (@attribute, 1000, '{user}', false, '{"type": "string", "title": "Probe"}')
            """, new { attribute });
        try
        {
            await b.Service().GetAsync($"/api/attributes/{attribute}", expect: 404);

            await a.Service().PostAsync("/api/system/restart", null, expect: 204);

            await a.Service().GetAsync($"/api/attributes/{attribute}");
            var onB = b.Service();
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while ((await onB.Http.GetAsync($"/api/attributes/{attribute}")).StatusCode == System.Net.HttpStatusCode.NotFound && DateTime.UtcNow < deadline)
                await Task.Delay(100);
            await b.Service().GetAsync($"/api/attributes/{attribute}");
        }
        finally
        {
            await Sql.ExecuteAsync(a, "DELETE FROM attributes WHERE name = @attribute", new { attribute });
            await a.Service().PostAsync("/api/system/restart", null, expect: 204);
        }
    }
}
