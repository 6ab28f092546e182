using Anvil.Server.Messaging;

namespace Anvil.Server.Features.Events;

public static class EventServices
{
    /// <summary>The event store, its outbox publisher, this instance's websocket hub and the job queue.</summary>
    public static IServiceCollection AddEvents(this IServiceCollection services)
    {
        services.AddSingleton<EventPublisher>();
        services.AddHostedService(provider => provider.GetRequiredService<EventPublisher>());
        services.AddSingleton<EventStreamHub>();
        services.AddHostedService(provider => provider.GetRequiredService<EventStreamHub>());
        services.AddSingleton<EventStore>();
        services.AddSingleton<EventQueue>();
        return services;
    }
}
