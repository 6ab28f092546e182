using Anvil.Server;
using Anvil.Server.Data;
using Anvil.Server.Features.Auth;
using Anvil.Server.Features.Demo;
using Anvil.Server.Features.Users;
using Anvil.Server.Hosting;

// anvil [serve [--setup] | setup [--demo] | config | rotate-secrets]: serve is what deployments run (it
// applies the migrations first; with --setup it also ensures the users, as AYON's container does at every
// start); setup prepares the database, the users and (with --demo) the demo project, and exits (a one-shot
// job); rotate-secrets re-seals every secret with AYON_SECRETS_KEY (docs/services.md).
var command = args.FirstOrDefault(a => !a.StartsWith('-')) ?? "serve";
if (command == "config")
{
    Console.Write(ConfigurationTable.Markdown());
    return 0;
}

WebApplication app;
try
{
    // Anvil reads no configuration files, and the working directory is often the checkout holding
    // the local PostgreSQL's data: watching it for changes costs CPU on every database write.
    app = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory }).AddAnvil().Build();
}
catch (ConfigurationError error)
{
    Console.Error.WriteLine($"anvil: configuration error: {error.Message}");
    return 2;
}

await app.Services.GetRequiredService<Db>().WaitUntilReachableAsync(TimeSpan.FromSeconds(60), app.Logger);
await app.Services.GetRequiredService<MigrationRunner>().RunAsync();
if (command == "setup" || args.Contains("--setup"))
{
    var generated = await app.Services.GetRequiredService<UserSetup>().EnsureAsync();
    if (generated is not null)
        Console.WriteLine($"Created user 'admin' with password: {generated}\n(shown once; set AYON_ADMIN_PASSWORD to choose it instead)");
    if (args.Contains("--demo") && await app.Services.GetRequiredService<DemoProject>().EnsureAsync())
        Console.WriteLine($"Created the demo project {DemoProject.Name}");
    if (command == "setup")
        return 0;
}
if (command == "rotate-secrets")
{
    var resealed = await app.Services.GetRequiredService<Anvil.Server.Features.Services.SecretStore>().RotateAsync(CancellationToken.None);
    Console.WriteLine($"Re-sealed {resealed} secret(s) with the current AYON_SECRETS_KEY; the previous keys are no longer needed.");
    return 0;
}
if (command != "serve")
{
    Console.Error.WriteLine($"anvil: unknown command '{command}' (serve, setup, config or rotate-secrets)");
    return 2;
}

app.UseAnvil();
await app.RunAsync();
return 0;

/// <summary>The entry point, visible to the tests' WebApplicationFactory.</summary>
public partial class Program;
