/**
 * Microsoft's Kusto language service (Kusto.Language compiled to JavaScript) loaded in Node, with a
 * database of the Log Analytics tables the detections read and the Resource Graph tables the
 * inventory reads. It parses and semantically checks KQL
 * offline: unknown columns, tables, functions and type errors are diagnostics.
 */
import { createRequire } from 'node:module';

import { LOG_ANALYTICS_TABLES } from './logAnalyticsSchemas.js';
import { RESOURCE_GRAPH_TABLES } from './resourceGraphSchemas.js';

interface BridgeList<T> {
  Count: number;
  getItem(index: number): T;
}
interface Diagnostic {
  Severity: string;
  Code: string;
  Message: string;
  Start: number;
  Length: number;
}
interface ColumnSymbol {
  Name: string;
  Type: { Name: string };
}
interface KustoCode {
  GetDiagnostics(): BridgeList<Diagnostic>;
  ResultType: { Columns?: BridgeList<ColumnSymbol> } | null;
  Kind: string;
}
interface KustoLanguage {
  KustoCode: { ParseAndAnalyze(text: string, globals: unknown): KustoCode };
  GlobalState: { Default: { WithDatabase(database: unknown): unknown } };
  DiagnosticSeverity: { Error: string };
  Symbols: {
    ScalarTypes: { GetSymbol(name: string): unknown };
    ColumnSymbol: new (name: string, type: unknown, ...rest: null[]) => unknown;
    TableSymbol: { $ctor4: new (name: string, columns: unknown[]) => unknown };
    DatabaseSymbol: { ctor: new (name: string, members: unknown[]) => unknown };
  };
}

let loaded: { language: KustoLanguage; globals: unknown } | undefined;

function load(): { language: KustoLanguage; globals: unknown } {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  // Order matters: the Bridge.NET runtime first, then the compiled Kusto.Language.
  require('@kusto/language-service-next/bridge.js');
  require('@kusto/language-service-next/Kusto.Language.Bridge.js');
  const language = (globalThis as unknown as { Kusto: { Language: KustoLanguage } }).Kusto.Language;
  const { ScalarTypes, ColumnSymbol, TableSymbol, DatabaseSymbol } = language.Symbols;
  // Log Analytics and Resource Graph tables share one database: their names do not collide.
  const tables = Object.entries({ ...LOG_ANALYTICS_TABLES, ...RESOURCE_GRAPH_TABLES }).map(
    ([name, columns]) =>
      new TableSymbol.$ctor4(
        name,
        Object.entries(columns).map(([column, type]) => new ColumnSymbol(column, ScalarTypes.GetSymbol(type), null, null, null, null)),
      ),
  );
  loaded = { language, globals: language.GlobalState.Default.WithDatabase(new DatabaseSymbol.ctor('workspace', tables)) };
  return loaded;
}

export interface KqlAnalysis {
  errors: string[];
  kind: string;
  /** Result columns and their types, when the query produces a table. */
  columns: Record<string, string> | undefined;
}

export function analyzeKql(query: string): KqlAnalysis {
  const { language, globals } = load();
  const code = language.KustoCode.ParseAndAnalyze(query, globals);
  const list = code.GetDiagnostics();
  const errors: string[] = [];
  for (let index = 0; index < list.Count; index += 1) {
    const diagnostic = list.getItem(index);
    if (diagnostic.Severity === language.DiagnosticSeverity.Error) {
      errors.push(`${diagnostic.Code} at ${diagnostic.Start} "${query.substr(diagnostic.Start, diagnostic.Length)}": ${diagnostic.Message}`);
    }
  }
  const resultColumns = code.ResultType?.Columns;
  let columns: Record<string, string> | undefined;
  if (resultColumns) {
    columns = {};
    for (let index = 0; index < resultColumns.Count; index += 1) {
      const column = resultColumns.getItem(index);
      columns[column.Name] = column.Type.Name;
    }
  }
  return { errors, kind: code.Kind, columns };
}
