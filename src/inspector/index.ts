/** Public API of the inspector layer: the read-only web page over the component actors. */

export type { LastErrorView } from './CallBook.ts';
export { type CallDetails, type ClippedText, MIN_HIDDEN_LENGTH, TEXT_LIMIT } from './callDetails.ts';
export {
  activeStateIds,
  type ChartModel,
  type ChartState,
  type ChartTransition,
  describeChart,
} from './chartModel.ts';
export { renderChartSvg } from './chartSvg.ts';
export { MAX_EVENT_STREAMS } from './EventStreams.ts';
export {
  createInspector,
  type Inspector,
  type InspectorOptions,
  type LogEntry,
} from './Inspector.ts';
export { InspectorError, type InspectorErrorCode } from './InspectorError.ts';
export { DEFAULT_INSPECTOR_PORT, parseInspectFlag } from './parseInspectFlag.ts';
export {
  type ComponentView,
  type InFlightCallView,
  type InspectorSnapshot,
  type InstanceCallsView,
  type QueuedCallView,
  takeSnapshot,
} from './snapshot.ts';
export {
  type RunningInspector,
  type StartInspectorOptions,
  startInspector,
} from './startInspector.ts';
