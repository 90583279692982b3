// Command argo-events-trigger runs Argo Events' own Sensor code on one webhook call, offline,
// so the tests check a TaskTrigger's Sensor against Argo Events rather than against our idea
// of it. It does what a Sensor pod does with an event, with the real functions:
//
//  1. the Sensor controller's validation (sensor.ValidateSensor, default JetStream EventBus);
//  2. the event as the webhook EventSource publishes it: events.WebhookEventData
//     {"header": <http.Header>, "body": <raw body>} as the data of a CloudEvent, sent
//     through the EventBus as JSON and decoded on the Sensor side;
//  3. the dependency's filters (dependencies.Filter);
//  4. each trigger as the Sensor's triggerOne runs it: triggers.ApplyTemplateParameters, then
//     the standard k8s trigger's FetchResource, ApplyResourceParameters and Execute. Execute
//     talks to a fake dynamic client that records the object it would create.
//
// Input on stdin, JSON:
//
//	{"sensor": <Sensor>, "header": {"X-GitHub-Event": "pull_request", ...}, "body": <JSON>,
//	 "dependency": "<name; default: the Sensor's first dependency>"}
//
// Header names are canonicalized as Go's HTTP server does (X-GitHub-Event -> X-Github-Event).
// Output on stdout, JSON, one of:
//
//	{"created": [<object per trigger>]}                      exit 0
//	{"filtered": true, "error": "<filter error, if any>"}     exit 0: the Sensor drops the event
//	{"error": "<Argo Events' message>", "stage": "...", "trigger": "..."}   exit 2
//
// Bad input (not JSON, no Sensor) exits 1 with a message on stderr. Argo Events' own prints
// (e.g. "failed to execute the src event template, falling back ...") go to stderr.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/argoproj/argo-events/pkg/apis/events/v1alpha1"
	"github.com/argoproj/argo-events/pkg/eventsources/events"
	sensorvalidation "github.com/argoproj/argo-events/pkg/reconciler/sensor"
	"github.com/argoproj/argo-events/pkg/sensors/dependencies"
	"github.com/argoproj/argo-events/pkg/sensors/triggers"
	standardk8s "github.com/argoproj/argo-events/pkg/sensors/triggers/standard-k8s"
	cloudevents "github.com/cloudevents/sdk-go/v2"
	"go.uber.org/zap"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	ktesting "k8s.io/client-go/testing"
)

type input struct {
	Sensor     json.RawMessage   `json:"sensor"`
	Header     map[string]string `json:"header"`
	Body       json.RawMessage   `json:"body"`
	Dependency string            `json:"dependency"`
}

// failure is an Argo Events error, reported as JSON with the step that raised it.
type failure struct {
	Error   string `json:"error"`
	Stage   string `json:"stage"`
	Trigger string `json:"trigger,omitempty"`
}

func main() {
	// Argo Events prints to stdout (fmt.Printf in params.go, loggers built on "stdout"):
	// send all of that to stderr so stdout carries only the result.
	out := os.Stdout
	os.Stdout = os.Stderr

	in, sensor, err := readInput(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "argo-events-trigger:", err)
		os.Exit(1)
	}
	result, code := run(in, sensor)
	if err := json.NewEncoder(out).Encode(result); err != nil {
		fmt.Fprintln(os.Stderr, "argo-events-trigger:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func readInput(r io.Reader) (*input, *v1alpha1.Sensor, error) {
	var in input
	if err := json.NewDecoder(r).Decode(&in); err != nil {
		return nil, nil, fmt.Errorf("reading the input: %w", err)
	}
	if len(in.Sensor) == 0 || len(in.Body) == 0 {
		return nil, nil, fmt.Errorf(`the input needs "sensor" and "body"`)
	}
	sensor := &v1alpha1.Sensor{}
	if err := json.Unmarshal(in.Sensor, sensor); err != nil {
		return nil, nil, fmt.Errorf("decoding the Sensor: %w", err)
	}
	return &in, sensor, nil
}

func run(in *input, sensor *v1alpha1.Sensor) (any, int) {
	// The EventBus only matters to validation for NATS (streaming); JetStream is the default.
	bus := &v1alpha1.EventBus{Spec: v1alpha1.EventBusSpec{JetStream: &v1alpha1.JetStreamBus{}}}
	if err := sensorvalidation.ValidateSensor(sensor.DeepCopy(), bus); err != nil {
		return failure{Error: err.Error(), Stage: "validate"}, 2
	}
	dep, err := dependency(sensor, in.Dependency)
	if err != nil {
		return failure{Error: err.Error(), Stage: "input"}, 2
	}
	event, err := webhookEvent(dep, in.Header, in.Body)
	if err != nil {
		return failure{Error: err.Error(), Stage: "event"}, 2
	}
	// As the Sensor's filterFunc: a filter error is only logged, the result decides.
	pass, err := dependencies.Filter(event, dep.Filters, dep.FiltersLogicalOperator)
	if !pass {
		f := map[string]any{"filtered": true}
		if err != nil {
			f["error"] = err.Error()
		}
		return f, 0
	}
	byDependency := map[string]*v1alpha1.Event{dep.Name: event}
	var created []any
	for _, trigger := range sensor.Spec.Triggers {
		obj, fail := runTrigger(sensor, trigger, byDependency)
		if fail != nil {
			return fail, 2
		}
		created = append(created, obj)
	}
	return map[string]any{"created": created}, 0
}

func dependency(sensor *v1alpha1.Sensor, name string) (*v1alpha1.EventDependency, error) {
	for i, d := range sensor.Spec.Dependencies {
		if name == "" || d.Name == name {
			return &sensor.Spec.Dependencies[i], nil
		}
	}
	return nil, fmt.Errorf("the Sensor has no dependency %q", name)
}

// webhookEvent builds the event as the Sensor receives it from a webhook EventSource: the
// data the webhook handler marshals (webhook/start.go), in the CloudEvent the EventSource
// publishes (eventsources/eventing.go), decoded from the bus (jetstream trigger_conn.go) and
// converted as the Sensor's convertEvent does (sensors/listener.go).
func webhookEvent(dep *v1alpha1.EventDependency, header map[string]string, body json.RawMessage) (*v1alpha1.Event, error) {
	h := http.Header{}
	for k, v := range header {
		h.Add(k, v)
	}
	data, err := json.Marshal(&events.WebhookEventData{Header: h, Body: &body})
	if err != nil {
		return nil, err
	}
	ce := cloudevents.NewEvent()
	ce.SetID("0123456789abcdef0123456789abcdef")
	ce.SetType(string(v1alpha1.WebhookEvent))
	ce.SetSource(dep.EventSourceName)
	ce.SetSubject(dep.EventName)
	ce.SetTime(time.Now())
	if err := ce.SetData(cloudevents.ApplicationJSON, data); err != nil {
		return nil, err
	}
	wire, err := json.Marshal(ce)
	if err != nil {
		return nil, err
	}
	var received *cloudevents.Event
	if err := json.Unmarshal(wire, &received); err != nil {
		return nil, err
	}
	return &v1alpha1.Event{
		Context: &v1alpha1.EventContext{
			DataContentType: received.Context.GetDataContentType(),
			Source:          received.Context.GetSource(),
			SpecVersion:     received.Context.GetSpecVersion(),
			Type:            received.Context.GetType(),
			Time:            metav1.Time{Time: received.Context.GetTime()},
			ID:              received.Context.GetID(),
			Subject:         received.Context.GetSubject(),
		},
		Data: received.Data(),
	}, nil
}

// runTrigger runs one trigger as the Sensor's triggerOne does (without rate limits and
// policies), returning the object the k8s trigger would send to the API server.
func runTrigger(sensor *v1alpha1.Sensor, trigger v1alpha1.Trigger, events map[string]*v1alpha1.Event) (any, *failure) {
	name := ""
	if trigger.Template != nil {
		name = trigger.Template.Name
	}
	fail := func(stage string, err error) *failure {
		return &failure{Error: err.Error(), Stage: stage, Trigger: name}
	}
	if err := triggers.ApplyTemplateParameters(events, &trigger); err != nil {
		return nil, fail("template parameters", err)
	}
	if trigger.Template.K8s == nil {
		return nil, fail("trigger", fmt.Errorf("only k8s triggers are run here"))
	}
	client, recorded := recordingClient()
	impl := standardk8s.NewStandardK8sTrigger(nil, client, sensor, &trigger, zap.NewNop().Sugar())
	ctx := context.Background()
	obj, err := impl.FetchResource(ctx)
	if err != nil {
		return nil, fail("fetch resource", err)
	}
	updated, err := impl.ApplyResourceParameters(events, obj)
	if err != nil {
		return nil, fail("resource parameters", err)
	}
	if _, err := impl.Execute(ctx, events, updated); err != nil {
		return nil, fail("execute", fmt.Errorf("failed to execute trigger, %w", err))
	}
	if *recorded == nil {
		return nil, fail("execute", fmt.Errorf("the trigger created nothing (operation %q)", trigger.Template.K8s.Operation))
	}
	return (*recorded).Object, nil
}

// recordingClient is a dynamic client that answers every create with the object it was
// given, and keeps that object.
func recordingClient() (*dynamicfake.FakeDynamicClient, **unstructured.Unstructured) {
	var recorded *unstructured.Unstructured
	client := dynamicfake.NewSimpleDynamicClient(runtime.NewScheme())
	client.PrependReactor("create", "*", func(action ktesting.Action) (bool, runtime.Object, error) {
		obj := action.(ktesting.CreateAction).GetObject().(*unstructured.Unstructured)
		recorded = obj.DeepCopy()
		return true, obj, nil
	})
	return client, &recorded
}
