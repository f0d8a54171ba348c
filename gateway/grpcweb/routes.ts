import type { MethodDefinition, ServiceDefinition, UntypedHandleCall, UntypedServiceImplementation } from '@grpc/grpc-js';

/** One grpc-js service as given to `Server.addService`: the same pair serves native gRPC and gRPC-web. */
export interface ServiceBinding {
  definition: ServiceDefinition;
  implementation: UntypedServiceImplementation;
}

export interface Route {
  method: MethodDefinition<unknown, unknown>;
  handler: UntypedHandleCall;
}

/** A service implementation that lacks a method of its definition; thrown at start-up, not per call. */
export class MissingHandlerError extends Error {
  override readonly name = 'MissingHandlerError';
}

/** path (`/pkg.Service/Method`) -> definition + handler, resolved like grpc-js (`name`, then `originalName`). */
export function buildRoutes(services: readonly ServiceBinding[]): Map<string, Route> {
  const routes = new Map<string, Route>();
  for (const { definition, implementation } of services) {
    for (const [name, method] of Object.entries(definition)) {
      const handler = implementation[name] ?? (method.originalName ? implementation[method.originalName] : undefined);
      if (typeof handler !== 'function') throw new MissingHandlerError(`no handler for ${method.path} (implementation has no ${JSON.stringify(name)})`);
      routes.set(method.path, { method: method as MethodDefinition<unknown, unknown>, handler });
    }
  }
  return routes;
}
