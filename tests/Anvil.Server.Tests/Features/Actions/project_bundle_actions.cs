using System.Text.Json.Nodes;
using Anvil.Server.Tests.Features.Addons;
using Anvil.Server.Tests.Features.Bundles;
using Anvil.Server.Tests.Infrastructure;
using static Anvil.Server.Tests.Features.Addons.AddonPackages;
using static Anvil.Server.Tests.Features.Bundles.BundleWorld;

namespace Anvil.Server.Tests.Features.Actions;

/// <summary>
/// <c>POST /api/actions/list</c> for a project that has its own bundle: the versions the project
/// bundle chooses (where the addon lets a project choose) answer, as for the project's settings.
/// </summary>
[Collection(BundlesCollection.Name)]
public sealed class project_bundle_actions(EndpointsApp app) : IClassFixture<EndpointsApp>
{
    [Fact]
    public async Task a_projects_own_bundle_chooses_the_addon_version_whose_actions_are_listed()
    {
        var api = app.Service();
        var admin = await app.LoginAsync();
        var addon = Unique.Name("projactions");
        await InstallAsync(api, FromSourceTree("endpoints", addon, "1.0.0", "project_can_override_addon_version = True"));
        await InstallAsync(api, FromSourceTree("endpoints", addon, "1.1.0", "project_can_override_addon_version = True"));
        var studio = CreateBody(Unique.Name("studio"), new JsonObject { [addon] = "1.0.0" });
        studio["isStaging"] = true;
        await api.PostAsync("/api/bundles?force=true", studio, expect: 201);
        var pinned = CreateBody(Unique.Name("projbundle"), new JsonObject { [addon] = "1.1.0" });
        pinned["isProject"] = true;
        await api.PostAsync("/api/bundles", pinned, expect: 201);
        var project = await TestProjects.CreateAsync(app);
        var other = await TestProjects.CreateAsync(app);
        await api.PostAsync($"/api/projects/{project}/bundle", new { staging = pinned["name"]!.GetValue<string>() }, expect: 204);

        async Task<string> ListedVersionAsync(string projectName)
        {
            var folderId = await new EntityBuilder(admin, projectName).FolderAsync();
            var listed = await admin.PostAsync("/api/actions/list?variant=staging",
                new { projectName, entityType = "folder", entityIds = new[] { folderId } });
            var action = Assert.Single(listed["actions"]!.AsArray());
            Assert.Equal("endpoints.redirect", action!["identifier"]!.GetValue<string>());
            return action["addonVersion"]!.GetValue<string>();
        }

        Assert.Equal("1.1.0", await ListedVersionAsync(project));
        Assert.Equal("1.0.0", await ListedVersionAsync(other));
    }
}
