/**
 * Loads `statemachines/run.asl.json`, the single workflow definition of both targets, and lists its Task
 * states so the local engine can bind each one to the use case its Lambda would run.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const RUN_ASL_PATH = fileURLToPath(new URL('../../../statemachines/run.asl.json', import.meta.url));

type State = {
  Type: string;
  Parameters?: { FunctionName?: string };
  ItemProcessor?: { States: Record<string, State> };
  Iterator?: { States: Record<string, State> };
};
export type AslDefinition = { StartAt: string; States: Record<string, State> };

export function loadRunDefinition(path = RUN_ASL_PATH): AslDefinition {
  return JSON.parse(readFileSync(path, 'utf8')) as AslDefinition;
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
