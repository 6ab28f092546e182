using System.Net.Http.Json;
using Anvil.Server.Tests.Features.Projects;
using Anvil.Server.Tests.Features.Services;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.GraphQL;

/// <summary>A resolver's unexpected failure: masked for the client, logged whole for the operator.</summary>
public sealed class unexpected_errors(LogCapturingApp app) : IClassFixture<LogCapturingApp>
{
    [Fact]
    public async Task a_failure_the_server_did_not_expect_is_masked_in_the_answer_and_logged_with_its_field_and_request_id()
    {
        var api = app.Service();
        var project = await TestProjects.CreateAsync(app);
        await new EntityBuilder(api, project).FolderAsync(name: "shot010");
        // A table gone behind the server's back: PostgreSQL refuses the read with an error no resolver expects.
        await app.InProjectAsync(project, "ALTER TABLE folders RENAME TO folders_gone");

        var response = await api.Http.PostAsJsonAsync("/graphql", new { query = "query($p: String!) { project(name: $p) { folders { edges { node { name } } } } }", variables = new { p = project } });
        var body = await response.Content.ReadAsStringAsync();
        var requestId = response.Headers.GetValues("X-Request-ID").Single();

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Contains("\"errors\"", body);
        Assert.DoesNotContain("folders_gone", body);
        Assert.DoesNotContain("does not exist", body);
        Assert.Contains(app.Lines, line => line.StartsWith("Error ") && line.Contains(requestId) && line.Contains("project.folders") && line.Contains("does not exist"));
    }
}
