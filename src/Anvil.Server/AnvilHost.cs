using Anvil.Server.Data;
using Anvil.Server.Entities;
using Anvil.Server.Entities.Operations;
using Anvil.Server.Features.Access;
using Anvil.Server.Features.Addons;
using Anvil.Server.Features.Anatomy;
using Anvil.Server.Features.Attributes;
using Anvil.Server.Features.Auth;
using Anvil.Server.Features.Bundles;
using Anvil.Server.Features.Events;
using Anvil.Server.Features.Folders;
using Anvil.Server.Features.Frontend;
using Anvil.Server.Features.Info;
using Anvil.Server.Features.Links;
using Anvil.Server.Features.Monitoring;
using Anvil.Server.Features.Projects;
using Anvil.Server.Features.Server;
using Anvil.Server.Features.Thumbnails;
using Anvil.Server.Features.Users;
using Anvil.Server.Features.Views;
using Anvil.Server.GraphQL;
using Anvil.Server.Hosting;
using Anvil.Server.Messaging;
using Anvil.Server.Observability;
using Microsoft.AspNetCore.Http.Json;
using Scalar.AspNetCore;

namespace Anvil.Server;

/// <summary>The composition root: which services exist, and the order of the request pipeline.</summary>
public static class AnvilHost
{
    public static WebApplicationBuilder AddAnvil(this WebApplicationBuilder builder)
    {
        var options = AyonOptions.Load(builder.Configuration);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(TimeProvider.System);

        builder.Logging.SetMinimumLevel(options.MinimumLogLevel);
        // ASP.NET's request lines include query strings, where a `?token=` may travel.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // Hosting's diagnostics log only request lines (Information), but while the category is enabled
        // at all, ASP.NET starts an Activity and a log scope for every request (and metrics record an
        // exemplar from it). Traces still get their Activity when OpenTelemetry listens (Tracing.cs); a
        // failed request's log line names its request id itself (AyonErrorHandler).
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);

        builder.WebHost.UseUrls($"http://{options.HttpListenAddress}:{options.HttpListenPort}");
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);

        builder.Services.AddSingleton(_ => Db.Create(options));
        builder.Services.AddSingleton(_ => Redis.ConnectAsync(options).GetAwaiter().GetResult());
        builder.Services.AddSingleton<MigrationRunner>();
        builder.Services.AddSingleton<CacheInvalidation>().AddHostedService(s => s.GetRequiredService<CacheInvalidation>());
        builder.Services.AddSingleton<AuthCache>();
        builder.Services.AddSingleton<ProjectContexts>();
        builder.Services.AddSingleton<UserStore>();
        builder.Services.AddSingleton<UserSetup>();
        builder.Services.AddSingleton<SessionStore>();
        builder.Services.AddSingleton<CredentialResolver>();
        builder.Services.AddSingleton<LoginThrottle>();
        builder.Services.AddSingleton<ApiKeyRateLimiter>();
        builder.Services.AddSingleton<OperationsPipeline>();
        builder.Services.AddSingleton<IdempotencyKeys>();
        builder.Services.AddSingleton<Anvil.Server.Features.Demo.DemoProject>();
        builder.Services.AddSingleton<AyonSchemaHolder>();
        builder.Services.AddSingleton<global::GraphQL.IDocumentExecuter, AnvilDocumentExecuter>();
        builder.Services.AddSingleton<AttributeLibrary>();
        builder.Services.AddSingleton<AnatomyPresets>();
        builder.Services.AddSingleton<ProjectStore>();
        builder.Services.AddEvents();
        Anvil.Server.Features.Services.ServiceRegistration.AddServicesAndSecrets(builder.Services);
        builder.Services.AddSingleton<AddonStore>();
        builder.Services.AddSingleton<AddonCatalogue>();
        builder.Services.AddSingleton<BundleStore>();
        builder.Services.AddSingleton<AddonMaterializer>();
        builder.Services.AddSingleton<AddonHost>();
        builder.Services.AddSingleton<AddonLiveHost>();
        builder.Services.AddSingleton<AddonHostKey>();
        builder.Services.AddSingleton<AddonEndpointHost>();
        builder.Services.AddSingleton<AddonEventDelivery>().AddHostedService(s => s.GetRequiredService<AddonEventDelivery>());
        builder.Services.AddSingleton<Anvil.Server.Features.Settings.SettingsStore>();
        builder.Services.AddSingleton<Anvil.Server.Features.Settings.SettingsSchema>();
        builder.Services.AddSingleton<Anvil.Server.Features.Settings.SettingsAggregate>();
        builder.Services.AddSingleton<Anvil.Server.Features.Settings.SettingsMigration>();
        builder.Services.AddSingleton<IBundleObserver>(s => s.GetRequiredService<Anvil.Server.Features.Settings.SettingsMigration>());
        builder.Services.AddSingleton<AddonInstaller>().AddHostedService(s => s.GetRequiredService<AddonInstaller>());
        builder.Services.AddSingleton<AddonReexporter>().AddHostedService(s => s.GetRequiredService<AddonReexporter>());
        builder.Services.AddSingleton<Anvil.Server.Features.Desktop.DesktopStore>();
        builder.Services.AddSingleton<Anvil.Server.Features.Sites.SiteRegistry>();
        builder.Services.AddSingleton<Readiness>();
        builder.Services.AddSingleton<MetricsScrape>();
        builder.AddTracing();

        builder.Services.Configure<JsonOptions>(json => AyonJson.Configure(json.SerializerOptions));
        builder.Services.Configure<RouteHandlerOptions>(routes => routes.ThrowOnBadRequest = true);
        builder.Services.AddExceptionHandler<AyonErrorHandler>();
        builder.Services.AddProblemDetails();

        // AyonAuthentication (a middleware) authenticates and enforces the login endpoints require through
        // RequireAuthorization(), in place of ASP.NET's authentication and authorization middlewares; it
        // refuses any requirement beyond a login, so routing need not check for an authorization middleware.
        builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteOptions>(routes => routes.SuppressCheckForUnhandledSecurityMetadata = true);

        builder.Services.AddOpenApi(openApi => openApi.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Anvil — AYON-compatible server API";
            document.Info.Version = InfoEndpoints.AyonVersion;
            return Task.CompletedTask;
        }));
        return builder;
    }

    public static WebApplication UseAnvil(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<AyonOptions>();
        if (options.MetricsAccess != MetricsAccess.Off)
            app.UseMiddleware<HttpMetrics>();
        app.UseRequestId();
        app.UseExceptionHandler();
        app.Use(WithErrorBody);
        app.UseMiddleware<AyonAuthentication>();
        // After authentication, so an anonymous caller learns nothing but 401; before every handler.
        app.UseMiddleware<InputGate>();

        // Every endpoint hangs off this group and so needs a login unless it says AllowAnonymous. (Not a
        // fallback policy: that would also answer 401 instead of 405/415 for the router's own errors.)
        var root = app.MapGroup("").RequireAuthorization();
        var api = root.MapGroup("/api").AddEndpointFilterFactory(ValidationFilter.Create);
        root.MapInfoEndpoints(api);
        api.MapAuthEndpoints();
        api.MapUserEndpoints();
        api.MapAccessGroupEndpoints();
        api.MapPermissionEndpoints();
        api.MapSystemEndpoints();
        root.MapGraphQL(options);
        api.MapAttributeEndpoints();
        api.MapAnatomyEndpoints();
        api.MapProjectEndpoints();
        api.MapEntityEndpoints();
        api.MapOperationsEndpoints();
        api.MapThumbnailEndpoints();
        api.MapLinkEndpoints();
        api.MapFolderEndpoints();
        Anvil.Server.Features.Representations.RepresentationEndpoints.MapRepresentationEndpoints(api);
        api.MapEntityStats();
        api.MapEventEndpoints();
        Anvil.Server.Features.Services.ServiceEndpoints.MapServiceEndpoints(api);
        Anvil.Server.Features.Services.SecretEndpoints.MapSecretEndpoints(api);
        api.MapAddonEndpoints();
        api.MapBundleEndpoints();
        api.MapAddonCatalogue();
        Anvil.Server.Features.Settings.SettingsEndpoints.MapSettingsEndpoints(api);
        Anvil.Server.Features.Desktop.DesktopEndpoints.MapDesktopEndpoints(api);
        Anvil.Server.Features.Sites.SiteEndpoints.MapSiteEndpoints(api);
        root.MapAddonFileEndpoints();
        api.MapViewEndpoints();
        api.MapAppShellEndpoints();
        api.MapProjectDashboardEndpoints();
        api.MapAddonProxy();
        Anvil.Server.Features.Actions.ActionEndpoints.MapActionEndpoints(api);
        app.MapEventStream();
        root.MapHealthEndpoints();
        root.MapMetricsEndpoints(options);
        // Last: the web UI answers what no route above does.
        app.MapFrontendEndpoints(options);

        var openApi = root.MapOpenApi("/openapi.json");
        var docs = root.MapScalarApiReference("/docs", scalar => scalar.WithOpenApiRoutePattern("/openapi.json").WithTitle("Anvil API"));
        if (!options.OpenApiRequireAuthentication)
        {
            openApi.AllowAnonymous();
            docs.AllowAnonymous();
        }

        return app;
    }

    /// <summary>
    /// Gives AYON's error body to a response that ends in an error status without one (the router's 404,
    /// 405 and 415, a handler's bare status). ASP.NET's status-code pages do the same, but make and attach
    /// a feature to every request beforehand: this looks only at how the request ended.
    /// </summary>
    static Task WithErrorBody(HttpContext context, RequestDelegate next)
    {
        var handled = next(context);
        if (!handled.IsCompletedSuccessfully)
            return AfterAsync(handled, context);
        return LacksErrorBody(context.Response) ? ErrorResponse.WriteAsync(context, StatusError(context)) : Task.CompletedTask;

        static async Task AfterAsync(Task handled, HttpContext context)
        {
            await handled;
            if (LacksErrorBody(context.Response))
                await ErrorResponse.WriteAsync(context, StatusError(context));
        }
    }

    static bool LacksErrorBody(HttpResponse response) =>
        response.StatusCode is >= 400 and < 600 && !response.HasStarted && response.ContentLength is null && string.IsNullOrEmpty(response.ContentType);

    /// <summary>The envelope for an error status that a framework component set without a body (405, 415, ...).</summary>
    static AyonError StatusError(HttpContext context) => context.Response.StatusCode switch
    {
        404 when context.Request.Path.StartsWithSegments("/api") => ApiNotFound(context),
        404 => new NotFound($"{context.Request.Path} not found"),
        405 => new AyonError(405, $"Method {context.Request.Method} not allowed on {context.Request.Path}"),
        415 => new UnsupportedMediaType("Unsupported content type"),
        var status => new AyonError(status, ReasonPhrase(status)),
    };

    static NotFound ApiNotFound(HttpContext context)
    {
        var error = new NotFound($"API endpoint {context.Request.Path} not found");
        error.Extra["path"] = context.Request.Path.Value;
        return error;
    }

    static string ReasonPhrase(int status) => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : "Error";
}
