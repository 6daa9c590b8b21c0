/**
 * Loads `statemachines/run.asl.json`, the single workflow definition of both targets, and lists its Task
 * states so the local engine can bind each one to the use case its Lambda would run. The definition is
 * imported as a module rather than read by a path relative to this file, so the compiled CLI (dist/, one
 * directory of chunks) carries it as the sources have it.
 */
import runDefinition from '../../../statemachines/run.asl.json' with { type: 'json' };

type State = {
  Type: string;
  Parameters?: { FunctionName?: string };
  ItemProcessor?: { States: Record<string, State> };
  Iterator?: { States: Record<string, State> };
};
export type AslDefinition = { StartAt: string; States: Record<string, State> };

/** A copy of run.asl.json's definition, the caller's to change. */
export function loadRunDefinition(): AslDefinition {
  return structuredClone(runDefinition) as AslDefinition;
}

/** Task state name → the `${...FunctionArn}` placeholder it invokes, at every nesting level. */
export function taskFunctions(definition: AslDefinition): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (states: Record<string, State>) => {
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === 'Task' && state.Parameters?.FunctionName)
        found.set(name, state.Parameters.FunctionName);
      const inner = state.ItemProcessor ?? state.Iterator;
      if (inner) walk(inner.States);
    }
  };
  walk(definition.States);
  return found;
}
